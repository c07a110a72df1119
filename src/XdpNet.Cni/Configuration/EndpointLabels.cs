using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Configuration;

/// <summary>
/// The labels an endpoint is registered with, from four sources, a later one overriding a key of an earlier one:
/// the network's <c>labels</c>; CNI_ARGS (K8S_POD_NAME and K8S_POD_NAMESPACE as the Kubernetes labels
/// <c>io.kubernetes.pod.name</c> / <c>io.kubernetes.pod.namespace</c> that Cilium's selectors also use, then
/// <c>LABELS=k=v,k=v</c>); <c>args.cni.labels</c>; <c>runtimeConfig.labels</c>.
/// </summary>
internal static class EndpointLabels
{
    public const string PodNameLabel = "io.kubernetes.pod.name";
    public const string PodNamespaceLabel = "io.kubernetes.pod.namespace";

    /// <exception cref="CniException">Code 4 when CNI_ARGS carries a label that is not key=value.</exception>
    public static IReadOnlyDictionary<string, string> Merge(NetworkConfig config, CniArgs args)
    {
        var labels = new Dictionary<string, string>(config.DefaultLabels, StringComparer.Ordinal);
        AddArg(labels, PodNameLabel, args[CniArgs.PodName], CniArgs.PodName);
        AddArg(labels, PodNamespaceLabel, args[CniArgs.PodNamespace], CniArgs.PodNamespace);
        var list = args[CniArgs.Labels];
        if (!string.IsNullOrEmpty(list))
        {
            foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = item.IndexOf('=');
                if (eq <= 0) throw Invalid(CniArgs.Labels, $"'{item}' is not key=value");
                AddArg(labels, item[..eq], item[(eq + 1)..], CniArgs.Labels);
            }
        }
        foreach (var (k, v) in config.RuntimeLabels) labels[k] = v;
        return labels;
    }

    private static void AddArg(Dictionary<string, string> labels, string key, string? value, string arg)
    {
        if (value is null) return;
        var problem = EndpointLabel.Problem(key, value);
        if (problem is not null) throw Invalid(arg, problem);
        labels[key] = value;
    }

    private static CniException Invalid(string arg, string problem) =>
        new(CniErrorCode.InvalidEnvironment, $"CNI_ARGS {arg}: {problem}", "CNI_ARGS");
}
