using System.Globalization;
using Xdp.Runtime.Interop;

namespace XdpNet.LoadGen.Host;

/// <summary>An interface of the current network namespace, read from sysfs.</summary>
internal sealed class NetDevice
{
    private const string SysClassNet = "/sys/class/net";

    public string Name { get; }
    public int Index { get; }

    private NetDevice(string name, int index)
    {
        Name = name;
        Index = index;
    }

    public static NetDevice Open(string name)
    {
        uint index = Interop.Libc.IfNameToIndex(name);
        if (index == 0)
            throw new LoadGenException($"--interface: no interface '{name}' in this network namespace");
        return new NetDevice(name, (int)index);
    }

    public byte[] Mac => ParseMac(ReadAttribute(Name, "address"), $"{SysClassNet}/{Name}/address");

    /// <summary>Transmit drops the kernel counted on this device (for a veth: frames its peer could not take).</summary>
    public ulong TxDropped => ulong.Parse(ReadAttribute(Name, "statistics/tx_dropped"), CultureInfo.InvariantCulture);

    /// <summary>
    /// The MAC of the device at the other end of the link: the veth peer when it lives in this namespace
    /// (each names the other in iflink), else the only complete IPv4 neighbour entry on the device.
    /// Null when neither tells.
    /// </summary>
    public byte[]? FindPeerMac()
    {
        int peerIndex = int.Parse(ReadAttribute(Name, "iflink"), CultureInfo.InvariantCulture);
        if (peerIndex != Index)
        {
            foreach (string dir in Directory.EnumerateDirectories(SysClassNet))
            {
                string other = Path.GetFileName(dir);
                if (other == Name || !TryReadInt(other, "ifindex", out int otherIndex) || otherIndex != peerIndex)
                    continue;
                // Indices are per namespace: a device of ours with the peer's index is the peer only if it points back.
                if (TryReadInt(other, "iflink", out int back) && back == Index)
                    return ParseMac(ReadAttribute(other, "address"), $"{SysClassNet}/{other}/address");
            }
        }
        return FindOnlyNeighbourMac();
    }

    private byte[]? FindOnlyNeighbourMac()
    {
        // /proc/net/arp: "IP address  HW type  Flags  HW address  Mask  Device"; flag 0x2 = ATF_COM (complete).
        byte[]? found = null;
        foreach (string line in File.ReadLines("/proc/net/arp").Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 6 || f[5] != Name)
                continue;
            if ((int.Parse(f[2].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 0x2) == 0)
                continue;
            byte[] mac = ParseMac(f[3], "/proc/net/arp");
            if (found is not null && !found.AsSpan().SequenceEqual(mac))
                return null; // several neighbours: ambiguous
            found = mac;
        }
        return found;
    }

    public static byte[] ParseMac(string text, string source)
    {
        string[] parts = text.Trim().Split(':');
        var mac = new byte[6];
        if (parts.Length != 6)
            throw new LoadGenException($"{source}: '{text}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
        for (int i = 0; i < 6; i++)
        {
            if (!byte.TryParse(parts[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out mac[i]))
                throw new LoadGenException($"{source}: '{text}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
        }
        return mac;
    }

    public static string FormatMac(ReadOnlySpan<byte> mac) =>
        string.Create(CultureInfo.InvariantCulture, $"{mac[0]:x2}:{mac[1]:x2}:{mac[2]:x2}:{mac[3]:x2}:{mac[4]:x2}:{mac[5]:x2}");

    private static string ReadAttribute(string device, string attribute) =>
        File.ReadAllText(Path.Combine(SysClassNet, device, attribute)).Trim();

    private static bool TryReadInt(string device, string attribute, out int value)
    {
        value = 0;
        try
        {
            return int.TryParse(ReadAttribute(device, attribute), NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
