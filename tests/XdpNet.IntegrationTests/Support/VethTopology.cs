namespace XdpNet.IntegrationTests.Support;

/// <summary>
/// Two fresh namespaces joined by one veth pair with test addresses on both ends:
/// | Left: LeftInterface 198.18.0.1/30, 2001:db8::1/64 | == veth == | Right: RightInterface 198.18.0.2/30, 2001:db8::2/64 |.
/// Dispose deletes both namespaces and so the veths.
/// </summary>
public sealed class VethTopology : IDisposable
{
    public const string LeftIpv4 = "198.18.0.1";
    public const string RightIpv4 = "198.18.0.2";
    public const string LeftIpv6 = "2001:db8::1";
    public const string RightIpv6 = "2001:db8::2";

    private VethTopology(NetNs left, NetNs right, string leftInterface, string rightInterface)
    {
        Left = left;
        Right = right;
        LeftInterface = leftInterface;
        RightInterface = rightInterface;
    }

    public NetNs Left { get; }

    public NetNs Right { get; }

    public string LeftInterface { get; }

    public string RightInterface { get; }

    public static VethTopology Create(string purpose)
    {
        var left = NetNs.Create(purpose + "-l");
        NetNs? right = null;
        try
        {
            right = NetNs.Create(purpose + "-r");
            string leftInterface = UniqueName.Interface("xtl");
            string rightInterface = UniqueName.Interface("xtr");
            left.AddVeth(leftInterface, right, rightInterface);
            left.AddAddress(leftInterface, LeftIpv4 + "/30");
            left.AddAddress(leftInterface, LeftIpv6 + "/64");
            right.AddAddress(rightInterface, RightIpv4 + "/30");
            right.AddAddress(rightInterface, RightIpv6 + "/64");
            return new VethTopology(left, right, leftInterface, rightInterface);
        }
        catch
        {
            right?.Dispose();
            left.Dispose();
            throw;
        }
    }

    /// <summary>Pings <paramref name="address"/> from the right namespace; true when every request was answered.</summary>
    public bool PingFromRight(string address, int count = 3)
        => Right.Invoke(() => IcmpEcho.Ping(System.Net.IPAddress.Parse(address), count)) == count;

    public void Dispose()
    {
        Right.Dispose();
        Left.Dispose();
    }
}
