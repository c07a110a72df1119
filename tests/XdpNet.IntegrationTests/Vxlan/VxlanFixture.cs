namespace XdpNet.IntegrationTests.Vxlan;

/// <summary>
/// One <see cref="VxlanTopology"/> shared by every test of a class (building it and starting xdpnet costs seconds),
/// created on first use so that a class whose tests are all skipped (not root) builds nothing.
/// </summary>
public abstract class VxlanFixture(UnderlayFamily family, VtepKind a, VtepKind b, bool gbp = false) : IDisposable
{
    private readonly Lazy<VxlanTopology> _topology = new(() => VxlanTopology.Create(family, a, b, gbp));

    public VxlanTopology Topology => _topology.Value;

    public void Dispose()
    {
        if (!_topology.IsValueCreated) return;
        try
        {
            _topology.Value.StopXdpNet();
        }
        finally
        {
            _topology.Value.Dispose();
        }
    }
}

public sealed class KernelKernelIpv4Fixture() : VxlanFixture(UnderlayFamily.Ipv4, VtepKind.Kernel, VtepKind.Kernel);

public sealed class KernelKernelIpv6Fixture() : VxlanFixture(UnderlayFamily.Ipv6, VtepKind.Kernel, VtepKind.Kernel);

public sealed class XdpNetKernelIpv4Fixture() : VxlanFixture(UnderlayFamily.Ipv4, VtepKind.XdpNet, VtepKind.Kernel);

public sealed class XdpNetKernelIpv6Fixture() : VxlanFixture(UnderlayFamily.Ipv6, VtepKind.XdpNet, VtepKind.Kernel);

public sealed class XdpNetXdpNetIpv4Fixture() : VxlanFixture(UnderlayFamily.Ipv4, VtepKind.XdpNet, VtepKind.XdpNet);

public sealed class XdpNetXdpNetIpv6Fixture() : VxlanFixture(UnderlayFamily.Ipv6, VtepKind.XdpNet, VtepKind.XdpNet);
