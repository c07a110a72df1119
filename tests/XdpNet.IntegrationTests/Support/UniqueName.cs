using System.Security.Cryptography;

namespace XdpNet.IntegrationTests.Support;

/// <summary>Random names for test namespaces and interfaces, so parallel and leftover runs never collide.</summary>
public static class UniqueName
{
    /// <summary>IFNAMSIZ minus the terminating NUL.</summary>
    public const int MaxInterfaceName = 15;

    /// <summary><paramref name="length"/> random lowercase hex digits.</summary>
    public static string Suffix(int length) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes((length + 1) / 2))[..length];

    /// <summary>An interface name <c>{prefix}{random}</c> of at most 15 characters.</summary>
    public static string Interface(string prefix)
    {
        if (prefix.Length > MaxInterfaceName - 4)
        {
            throw new ArgumentException($"Interface prefix '{prefix}' leaves fewer than 4 random characters.", nameof(prefix));
        }

        return prefix + Suffix(MaxInterfaceName - prefix.Length);
    }
}
