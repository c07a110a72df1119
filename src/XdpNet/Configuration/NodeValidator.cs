namespace XdpNet.Configuration;

/// <summary>Node: the name (used in the stats socket path) and the worker CPU.</summary>
internal sealed class NodeValidator : IConfigSectionValidator
{
    public void Validate(ValidationContext context)
    {
        var node = context.Config.Node;
        if (string.IsNullOrEmpty(node.Name))
        {
            context.Add("Node:Name", "a node name is required");
        }
        else if (node.Name.Length > 64 || !IsSafeName(node.Name))
        {
            context.Add("Node:Name", $"'{node.Name}' must be 1..64 characters of letters, digits, '.', '_' or '-' (it names the stats socket file)");
        }

        if (node.Cpu is int cpu && (cpu < 0 || cpu >= context.Limits.ProcessorCount))
        {
            context.Add("Node:Cpu", $"{cpu} is not a CPU of this machine (0..{context.Limits.ProcessorCount - 1})");
        }

        if (node.StateDirectory is { } state && (state.Length == 0 || !Path.IsPathRooted(state)))
        {
            context.Add("Node:StateDirectory", $"'{state}' must be an absolute path");
        }
    }

    private static bool IsSafeName(string name)
    {
        if (name is "." or "..") return false;
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        }
        return true;
    }
}
