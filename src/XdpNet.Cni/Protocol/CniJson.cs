using System.Text.Encodings.Web;
using System.Text.Json;

namespace XdpNet.Cni.Protocol;

/// <summary>Writer options: messages keep their quotes and '&lt;' readable (the documents go to a runtime, not into HTML).</summary>
internal static class CniJson
{
    public static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    public static readonly JsonWriterOptions CompactOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
