namespace XdpNet.Configuration;

/// <summary>
/// Checks a bound <see cref="HostConfig"/> before anything is attached. Each section has its own
/// <see cref="IConfigSectionValidator"/>; a new section (ILA, VXLAN, policies) adds one to <see cref="Sections"/>.
/// </summary>
public static class HostConfigValidator
{
    /// <summary>The section validators, run in order. Later sections may rely on facts earlier ones established (e.g. interface names).</summary>
    public static IReadOnlyList<IConfigSectionValidator> Sections { get; } =
    [
        new NodeValidator(),
        new InterfacesValidator(),
        new UmemValidator(),
        new RingsValidator(),
        new BusyPollValidator(),
        new RoutesValidator(),
        new IlaValidator(),
        new VxlanValidator(),
        new PolicyValidator(),
        new EtcdValidator(),
        new StatsValidator(),
    ];

    public static IReadOnlyList<ConfigError> Validate(HostConfig config, ValidationLimits? limits = null)
    {
        var context = new ValidationContext(config, limits ?? ValidationLimits.Current);
        foreach (var section in Sections)
        {
            section.Validate(context);
        }
        return context.Errors;
    }
}

/// <summary>Validates one section of the host configuration.</summary>
public interface IConfigSectionValidator
{
    void Validate(ValidationContext context);
}

/// <summary>What a section validator sees: the whole configuration, the machine limits, and where to report.</summary>
public sealed class ValidationContext
{
    private readonly List<ConfigError> _errors = [];

    public ValidationContext(HostConfig config, ValidationLimits limits)
    {
        Config = config;
        Limits = limits;
    }

    public HostConfig Config { get; }
    public ValidationLimits Limits { get; }
    public IReadOnlyList<ConfigError> Errors => _errors;

    public void Add(string key, string problem) => _errors.Add(new ConfigError(key, problem));

    /// <summary>Index of the interface named <paramref name="name"/> in <see cref="HostConfig.Interfaces"/> (first match), or -1.</summary>
    public int InterfaceIndex(string? name)
    {
        if (string.IsNullOrEmpty(name)) return -1;
        for (var i = 0; i < Config.Interfaces.Count; i++)
        {
            if (string.Equals(Config.Interfaces[i].Name, name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    /// <summary>Number of AF_XDP sockets the host opens: one per (interface, queue).</summary>
    public int SocketCount
    {
        get
        {
            var count = 0;
            foreach (var i in Config.Interfaces) count += Math.Max(i.Queues.Count, 0);
            return count;
        }
    }

    /// <summary>Configuration path of a list element, e.g. <c>Interfaces:1:Bind</c>.</summary>
    public static string Key(params object[] parts) => string.Join(':', parts);
}
