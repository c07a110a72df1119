namespace XdpNet.Cni.Protocol;

/// <summary>A failure answered with the spec's error object: <see cref="Code"/>, a short message and details.</summary>
internal sealed class CniException : Exception
{
    public CniException(int code, string message, string details = "", Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Details = details;
    }

    public CniException()
    {
        Details = "";
    }

    public CniException(string message) : base(message)
    {
        Details = "";
    }

    public CniException(string message, Exception innerException) : base(message, innerException)
    {
        Details = "";
    }

    public int Code { get; }

    public string Details { get; }
}
