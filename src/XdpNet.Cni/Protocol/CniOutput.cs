using System.Text;
using System.Text.Json;

namespace XdpNet.Cni.Protocol;

/// <summary>The other two documents a plugin prints: the error object and the VERSION answer (CNI 1.0 "Result Types").</summary>
internal static class CniOutput
{
    public static string Error(string cniVersion, int code, string msg, string details)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, CniJson.Options))
        {
            w.WriteStartObject();
            w.WriteString("cniVersion", cniVersion);
            w.WriteNumber("code", code);
            w.WriteString("msg", msg);
            if (details.Length > 0) w.WriteString("details", details);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static string Version(string cniVersion)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, CniJson.Options))
        {
            w.WriteStartObject();
            w.WriteString("cniVersion", cniVersion);
            w.WriteStartArray("supportedVersions");
            foreach (var v in CniVersion.Supported) w.WriteStringValue(v);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
