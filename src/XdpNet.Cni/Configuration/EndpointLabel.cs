namespace XdpNet.Cni.Configuration;

/// <summary>
/// An endpoint label "key=value" as xdpnet's policy selectors read them (Cilium's matchLabels): the key as a
/// Kubernetes label key (an optional "source:" or DNS prefix, then name characters), the value in a Kubernetes label
/// value's characters. Characters that would break the CNI_ARGS or LABELS syntax (';', ',', '=') never pass.
/// </summary>
internal static class EndpointLabel
{
    public static bool TryParse(string text, out string key, out string value)
    {
        key = value = "";
        var eq = text.IndexOf('=');
        if (eq <= 0) return false;
        key = text[..eq];
        value = text[(eq + 1)..];
        return Problem(key, value) is null;
    }

    /// <summary>Null when (key, value) is a valid label, otherwise why not.</summary>
    public static string? Problem(string key, string value)
    {
        if (key.Length is 0 or > 253) return "a label key has 1 to 253 characters";
        if (!char.IsAsciiLetterOrDigit(key[0])) return $"label key '{key}' must start with a letter or digit";
        foreach (var c in key)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-' or '/' or ':')) return $"label key '{key}' may hold only letters, digits, '.', '_', '-', '/', ':'";
        }
        // 253, not Kubernetes' 63 for label values: io.kubernetes.pod.name carries a pod name, a DNS subdomain of up to 253.
        if (value.Length > 253) return $"label value '{value}' is longer than 253 characters";
        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-')) return $"label value '{value}' may hold only letters, digits, '.', '_', '-'";
        }
        return null;
    }
}
