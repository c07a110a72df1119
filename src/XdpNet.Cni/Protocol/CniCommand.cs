namespace XdpNet.Cni.Protocol;

/// <summary>CNI_COMMAND values (CNI 1.0 "Parameters"; STATUS and GC are CNI 1.1 verbs).</summary>
internal enum CniCommand
{
    Add,
    Del,
    Check,
    Version,
    Status,
    Gc,
}
