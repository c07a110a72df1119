using System.Text.Json;

namespace XdpNet.Replay;

/// <summary>
/// <c>verdicts.jsonl</c>: one line per input packet,
/// <c>{"index":0,"ingress":"dut0","verdict":"tx","egress":"dut1","reason":null}</c>
/// (egress only for tx, reason only for drop).
/// </summary>
internal sealed class VerdictLog : IDisposable
{
    public const string FileName = "verdicts.jsonl";

    private readonly FileStream _stream;
    private readonly Utf8JsonWriter _writer;

    public VerdictLog(string path)
    {
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        _writer = new Utf8JsonWriter(_stream);
    }

    public void Write(int index, string ingress, string verdict, string? egress, string? reason)
    {
        _writer.WriteStartObject();
        _writer.WriteNumber("index", index);
        _writer.WriteString("ingress", ingress);
        _writer.WriteString("verdict", verdict);
        if (egress is null) _writer.WriteNull("egress"); else _writer.WriteString("egress", egress);
        if (reason is null) _writer.WriteNull("reason"); else _writer.WriteString("reason", reason);
        _writer.WriteEndObject();
        _writer.Flush();
        _stream.WriteByte((byte)'\n');
        // One JSON document per line: start the next as a fresh top-level value.
        _writer.Reset(_stream);
    }

    public void Dispose()
    {
        _writer.Dispose();
        _stream.Dispose();
    }
}
