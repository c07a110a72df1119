using System.Net;

namespace Xdp.Filter.Policy;

/// <summary>
/// An endpoint the policy knows: an address and its labels (from the host configuration; later also remote
/// endpoints from the control plane). Only <see cref="Local"/> endpoints get a compiled policy; remote ones give
/// their addresses an identity.
/// </summary>
public sealed record PolicyEndpoint(IPAddress Address, IReadOnlyDictionary<string, string> Labels, bool Local = true);
