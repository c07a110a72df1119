using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Xdp.Filter.Policy;

/// <summary>
/// Validates <see cref="PolicyNode"/> documents into <see cref="PolicyRule"/>s. Keys are matched
/// case-insensitively, as Cilium's loader (Go's encoding/json) does; an unknown key, a Cilium feature XdpNet
/// does not enforce, or a value out of range is an error naming its path. Every error of a file is collected.
/// </summary>
internal sealed class PolicyRuleBinder
{
    private const string NamespaceLabel = "io.kubernetes.pod.namespace";

    private static readonly string[] DocumentKeys = ["apiVersion", "kind", "metadata", "spec", "specs", "status"];
    private static readonly string[] ListKeys = ["apiVersion", "kind", "metadata", "items"];
    private static readonly string[] RuleKeys = ["endpointSelector", "ingress", "ingressDeny", "egress", "egressDeny", "enableDefaultDeny", "labels", "description"];
    private static readonly Dictionary<string, string> RuleUnsupported = new(StringComparer.OrdinalIgnoreCase)
    {
        ["nodeSelector"] = "host policies (nodeSelector) are not supported: XdpNet enforces policy on endpoints only",
        ["log"] = "policy logging is not supported",
    };
    private static readonly string[] IngressKeys = ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "toPorts", "icmps"];
    private static readonly string[] EgressKeys = ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toPorts", "icmps"];
    private static readonly Dictionary<string, string> IngressUnsupported = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fromRequires"] = "fromRequires is not supported",
        ["fromGroups"] = "fromGroups (cloud provider groups) is not supported",
        ["fromNodes"] = "fromNodes is not supported",
        ["authentication"] = "mutual authentication is not supported",
        ["toEndpoints"] = "toEndpoints belongs to egress rules; ingress rules use fromEndpoints",
        ["toCIDR"] = "toCIDR belongs to egress rules; ingress rules use fromCIDR",
        ["toCIDRSet"] = "toCIDRSet belongs to egress rules; ingress rules use fromCIDRSet",
        ["toEntities"] = "toEntities belongs to egress rules; ingress rules use fromEntities",
    };
    private static readonly Dictionary<string, string> EgressUnsupported = new(StringComparer.OrdinalIgnoreCase)
    {
        ["toRequires"] = "toRequires is not supported",
        ["toServices"] = "toServices is not supported: select the service's endpoints with toEndpoints or toCIDR",
        ["toFQDNs"] = "toFQDNs needs a DNS proxy: the XdpNet data plane enforces L3/L4 only",
        ["toGroups"] = "toGroups (cloud provider groups) is not supported",
        ["toNodes"] = "toNodes is not supported",
        ["authentication"] = "mutual authentication is not supported",
        ["fromEndpoints"] = "fromEndpoints belongs to ingress rules; egress rules use toEndpoints",
        ["fromCIDR"] = "fromCIDR belongs to ingress rules; egress rules use toCIDR",
        ["fromCIDRSet"] = "fromCIDRSet belongs to ingress rules; egress rules use toCIDRSet",
        ["fromEntities"] = "fromEntities belongs to ingress rules; egress rules use toEntities",
    };
    private const string L7Refusal = "the XdpNet data plane enforces L3/L4 only; remove the L7 part or enforce it in a proxy";
    private static readonly string[] PortRuleKeys = ["ports", "rules"];
    private static readonly Dictionary<string, string> PortRuleUnsupported = new(StringComparer.OrdinalIgnoreCase)
    {
        ["listener"] = "L7 listeners are refused: " + L7Refusal,
        ["originatingTLS"] = "TLS interception (originatingTLS) is refused: " + L7Refusal,
        ["terminatingTLS"] = "TLS interception (terminatingTLS) is refused: " + L7Refusal,
        ["serverNames"] = "TLS server names (SNI) are refused: " + L7Refusal,
    };
    private static readonly string[] PortKeys = ["port", "endPort", "protocol"];
    private static readonly string[] CidrSetKeys = ["cidr", "except"];
    private static readonly Dictionary<string, string> CidrSetUnsupported = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cidrGroupRef"] = "CiliumCIDRGroup references are not supported: write the CIDRs",
        ["cidrGroupSelector"] = "CiliumCIDRGroup selectors are not supported: write the CIDRs",
    };
    private static readonly string[] SelectorKeys = ["matchLabels", "matchExpressions"];
    private static readonly string[] RequirementKeys = ["key", "operator", "values"];
    private static readonly string[] DefaultDenyKeys = ["ingress", "egress"];
    private static readonly string[] IcmpRuleKeys = ["fields"];
    private static readonly string[] IcmpFieldKeys = ["type", "family"];

    private readonly string _file;
    private readonly List<PolicyError> _errors = new();
    private readonly List<PolicyRule> _rules = new();

    private PolicyRuleBinder(string file)
    {
        _file = file;
    }

    public static IReadOnlyList<PolicyRule> Bind(IReadOnlyList<PolicyNode> documents, string file)
    {
        var binder = new PolicyRuleBinder(file);
        for (var i = 0; i < documents.Count; i++)
            binder.BindDocument(documents[i], documents.Count > 1 ? $"(document {i + 1}) " : "");
        if (binder._errors.Count > 0) throw new PolicyLoadException(binder._errors);
        return binder._rules;
    }

    private void Error(string path, string problem) => _errors.Add(new PolicyError(_file, path.TrimEnd().TrimEnd('.'), problem));

    // A prefix ending in ' ' ("(document 2) ") or '.' ("[3].", a document inside a list) takes the key as is.
    private static string Child(string path, string key) => path.Length == 0 || path.EndsWith(' ') || path.EndsWith('.') ? path + key : path + "." + key;

    private static string Index(string path, int index) => path.TrimEnd() + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    private void BindDocument(PolicyNode root, string prefix)
    {
        switch (root)
        {
            case PolicyScalarNode { Kind: PolicyScalarKind.Null }:
                return; // an empty YAML document (e.g. a trailing '---')
            case PolicyListNode list:
                // A list of rules (cilium policy import), or of policy documents.
                for (var i = 0; i < list.Items.Count; i++)
                {
                    if (list.Items[i] is PolicyMapNode item && FindKey(item, "kind") is not null) BindNetworkPolicy(item, prefix + Index("", i) + ".");
                    else BindRule(list.Items[i], prefix + Index("", i), null);
                }
                return;
            case PolicyMapNode map when FindKey(map, "kind") is not null:
                BindNetworkPolicy(map, prefix);
                return;
            default:
                Error(prefix, $"expected a list of rules (the 'cilium policy import' shape) or a CiliumNetworkPolicy document (kind, spec or specs), found {root.KindName}");
                return;
        }
    }

    private void BindNetworkPolicy(PolicyMapNode map, string prefix)
    {
        if (FindKey(map, "kind") is PolicyScalarNode { Text: "List" })
        {
            // kubectl get ciliumnetworkpolicies -o yaml: {apiVersion: v1, kind: List, items: [...]}.
            var listFields = Fields(map, prefix, "list", ListKeys, null);
            if (listFields is null) return;
            if (listFields.TryGetValue("items", out var items))
                foreach (var (item, itemPath) in Items(items.Node, items.Path))
                {
                    if (item is PolicyMapNode itemMap && FindKey(itemMap, "kind") is not null) BindNetworkPolicy(itemMap, itemPath + ".");
                    else Error(itemPath, $"expected a CiliumNetworkPolicy document, found {item.KindName}");
                }
            return;
        }
        var fields = Fields(map, prefix, "document", DocumentKeys, null);
        if (fields is null) return;
        var kind = fields.TryGetValue("kind", out var kindNode) ? String(kindNode.Node, kindNode.Path) : null;
        var clusterwide = false;
        if (kind is not null)
        {
            if (kind.Equals("CiliumClusterwideNetworkPolicy", StringComparison.OrdinalIgnoreCase)) clusterwide = true;
            else if (!kind.Equals("CiliumNetworkPolicy", StringComparison.OrdinalIgnoreCase))
            {
                Error(kindNode.Path, $"kind '{kind}' is not a Cilium network policy (CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy)");
                return;
            }
        }
        if (fields.TryGetValue("apiVersion", out var api) && String(api.Node, api.Path) is { } version
            && !version.StartsWith("cilium.io/", StringComparison.OrdinalIgnoreCase))
            Error(api.Path, $"apiVersion '{version}' is not cilium.io/v2");

        string? ns = null;
        if (fields.TryGetValue("metadata", out var metadata))
        {
            // Object metadata (name, labels, annotations, uid, ...) does not change enforcement; only the
            // namespace does, so the rest is accepted as Kubernetes writes it.
            if (metadata.Node is PolicyMapNode metadataMap)
            {
                var nsNode = FindKey(metadataMap, "namespace");
                if (nsNode is not null && !clusterwide) ns = String(nsNode, Child(metadata.Path, "namespace"));
            }
            else Error(metadata.Path, $"expected an object, found {metadata.Node.KindName}");
        }

        var any = false;
        if (fields.TryGetValue("spec", out var spec))
        {
            any = true;
            BindRule(spec.Node, spec.Path, ns);
        }
        if (fields.TryGetValue("specs", out var specs))
        {
            any = true;
            if (specs.Node is PolicyListNode list)
                for (var i = 0; i < list.Items.Count; i++) BindRule(list.Items[i], Index(specs.Path, i), ns);
            else Error(specs.Path, $"expected a list of rules, found {specs.Node.KindName}");
        }
        if (!any) Error(prefix, "a CiliumNetworkPolicy needs spec or specs");
    }

    private void BindRule(PolicyNode node, string path, string? ns)
    {
        var fields = Fields(node, path, "rule", RuleKeys, RuleUnsupported);
        if (fields is null) return;
        var errorsBefore = _errors.Count;

        LabelSelector? selector = null;
        // A null selector is a missing one (Cilium refuses a rule without a subject), not "select all".
        if (fields.TryGetValue("endpointSelector", out var sel) && sel.Node is not PolicyScalarNode { Kind: PolicyScalarKind.Null })
            selector = Selector(sel.Node, sel.Path);
        else Error(path, "endpointSelector is required (use {} to select every endpoint)");

        var ingress = PeerRules(fields, "ingress", PolicyDirection.Ingress, ns);
        var ingressDeny = PeerRules(fields, "ingressDeny", PolicyDirection.Ingress, ns);
        var egress = PeerRules(fields, "egress", PolicyDirection.Egress, ns);
        var egressDeny = PeerRules(fields, "egressDeny", PolicyDirection.Egress, ns);

        bool? denyIngress = null, denyEgress = null;
        if (fields.TryGetValue("enableDefaultDeny", out var dd))
        {
            var ddFields = Fields(dd.Node, dd.Path, "enableDefaultDeny", DefaultDenyKeys, null);
            if (ddFields is not null)
            {
                if (ddFields.TryGetValue("ingress", out var i)) denyIngress = Boolean(i.Node, i.Path);
                if (ddFields.TryGetValue("egress", out var e)) denyEgress = Boolean(e.Node, e.Path);
            }
        }
        if (fields.TryGetValue("description", out var description)) String(description.Node, description.Path);
        if (fields.TryGetValue("labels", out var labels) && labels.Node is not (PolicyListNode or PolicyMapNode or PolicyScalarNode { Kind: PolicyScalarKind.Null }))
            Error(labels.Path, $"expected a list of labels, found {labels.Node.KindName}");

        if (_errors.Count != errorsBefore || selector is null) return;
        if (ns is not null) selector = ForceLabel(selector, NamespaceLabel, ns);
        _rules.Add(new PolicyRule($"{_file}: {path.Trim()}", selector, ingress, ingressDeny, egress, egressDeny, denyIngress, denyEgress));
    }

    private static LabelSelector ForceLabel(LabelSelector selector, string key, string value)
    {
        // Cilium scopes a namespaced policy's subjects to its namespace whatever the selector says.
        var labels = new List<KeyValuePair<string, string>>(selector.MatchLabels) { new(key, value) };
        return selector with { MatchLabels = labels };
    }

    private List<PolicyPeerRule> PeerRules(Dictionary<string, (PolicyNode Node, string Path)> fields, string key, PolicyDirection direction, string? ns)
    {
        var result = new List<PolicyPeerRule>();
        if (!fields.TryGetValue(key, out var section)) return result;
        if (section.Node is PolicyScalarNode { Kind: PolicyScalarKind.Null }) return result;
        if (section.Node is not PolicyListNode list)
        {
            Error(section.Path, $"expected a list of rules, found {section.Node.KindName}");
            return result;
        }
        for (var i = 0; i < list.Items.Count; i++)
        {
            var rule = PeerRule(list.Items[i], Index(section.Path, i), direction, ns);
            if (rule is not null) result.Add(rule);
        }
        return result;
    }

    private PolicyPeerRule? PeerRule(PolicyNode node, string path, PolicyDirection direction, string? ns)
    {
        var ingress = direction == PolicyDirection.Ingress;
        var fields = Fields(node, path, ingress ? "ingress rule" : "egress rule", ingress ? IngressKeys : EgressKeys, ingress ? IngressUnsupported : EgressUnsupported);
        if (fields is null) return null;
        var errorsBefore = _errors.Count;
        var prefix = ingress ? "from" : "to";

        var endpoints = new List<LabelSelector>();
        if (fields.TryGetValue(prefix + "Endpoints", out var eps))
            foreach (var (item, itemPath) in Items(eps.Node, eps.Path))
                if (Selector(item, itemPath) is { } selector)
                    endpoints.Add(ns is null ? selector : selector.WithLabelUnlessConstrained(NamespaceLabel, ns));

        var cidrs = new List<CidrRule>();
        if (fields.TryGetValue(prefix + "CIDR", out var cidrList))
            foreach (var (item, itemPath) in Items(cidrList.Node, cidrList.Path))
                if (String(item, itemPath) is { } text && Cidr(text, itemPath) is { } network)
                    cidrs.Add(new CidrRule(network, []));
        if (fields.TryGetValue(prefix + "CIDRSet", out var cidrSets))
            foreach (var (item, itemPath) in Items(cidrSets.Node, cidrSets.Path))
                if (CidrSet(item, itemPath) is { } set) cidrs.Add(set);

        var entities = new List<PolicyEntity>();
        if (fields.TryGetValue(prefix + "Entities", out var ents))
            foreach (var (item, itemPath) in Items(ents.Node, ents.Path))
                if (String(item, itemPath) is { } text && Entity(text, itemPath) is { } entity) entities.Add(entity);

        var ports = new List<PortProtocol>();
        if (fields.TryGetValue("toPorts", out var toPorts))
            foreach (var (item, itemPath) in Items(toPorts.Node, toPorts.Path)) PortRule(item, itemPath, ports);

        var icmps = new List<IcmpField>();
        if (fields.TryGetValue("icmps", out var icmpRules))
            foreach (var (item, itemPath) in Items(icmpRules.Node, icmpRules.Path)) IcmpRule(item, itemPath, icmps);

        return _errors.Count == errorsBefore ? new PolicyPeerRule($"{_file}: {path.Trim()}", endpoints, cidrs, entities, ports, icmps) : null;
    }

    private void PortRule(PolicyNode node, string path, List<PortProtocol> ports)
    {
        var fields = Fields(node, path, "toPorts entry", PortRuleKeys, PortRuleUnsupported);
        if (fields is null) return;
        if (fields.TryGetValue("rules", out var rules))
        {
            // Never silently dropped: an L7 rule narrows an allow, so ignoring it would allow more than written.
            var kinds = rules.Node is PolicyMapNode map ? string.Join(", ", map.Entries.Select(e => e.Key)) : "";
            Error(rules.Path, $"L7 rules{(kinds.Length > 0 ? $" ({kinds})" : "")} are refused: {L7Refusal}");
        }
        if (!fields.TryGetValue("ports", out var portList))
        {
            Error(path, "a toPorts entry needs ports");
            return;
        }
        var items = Items(portList.Node, portList.Path);
        if (items.Count == 0 && portList.Node is PolicyListNode) Error(portList.Path, "a toPorts entry needs at least one port");
        foreach (var (item, itemPath) in items)
            if (Port(item, itemPath) is { } port) ports.Add(port);
    }

    private PortProtocol? Port(PolicyNode node, string path)
    {
        var fields = Fields(node, path, "port", PortKeys, null);
        if (fields is null) return null;
        var ok = true;

        var protocol = L4Protocol.Any;
        if (fields.TryGetValue("protocol", out var proto) && String(proto.Node, proto.Path) is { } protocolText)
        {
            switch (protocolText.ToUpperInvariant())
            {
                case "": case "ANY": protocol = L4Protocol.Any; break;
                case "TCP": protocol = L4Protocol.Tcp; break;
                case "UDP": protocol = L4Protocol.Udp; break;
                case "SCTP": protocol = L4Protocol.Sctp; break;
                case "ICMP": protocol = L4Protocol.Icmp; break;
                case "ICMPV6": protocol = L4Protocol.IcmpV6; break;
                default:
                    Error(proto.Path, $"protocol '{protocolText}' is not one of TCP, UDP, SCTP, ICMP, ICMPv6, ANY");
                    ok = false;
                    break;
            }
        }

        var port = 0;
        if (fields.TryGetValue("port", out var portNode))
        {
            var parsed = PortNumber(portNode.Node, portNode.Path, "port");
            if (parsed is null) ok = false;
            else port = parsed.Value;
        }
        var endPort = 0;
        if (fields.TryGetValue("endPort", out var endNode))
        {
            var parsed = PortNumber(endNode.Node, endNode.Path, "endPort");
            if (parsed is null) ok = false;
            else endPort = parsed.Value;
        }
        if (!ok) return null;

        if (endPort != 0 && port == 0)
        {
            Error(endNode.Path, "endPort needs a non-zero port (port 0 already means every port)");
            return null;
        }
        if (endPort != 0 && endPort < port)
        {
            Error(endNode.Path, $"endPort {endPort} is below port {port}");
            return null;
        }
        if (port != 0 && protocol is L4Protocol.Icmp or L4Protocol.IcmpV6)
        {
            Error(portNode.Path, "ICMP has no ports: choose ICMP types with icmps[].fields[].type");
            return null;
        }
        return new PortProtocol((ushort)port, (ushort)(endPort == 0 ? port : endPort), protocol);
    }

    private int? PortNumber(PolicyNode node, string path, string what)
    {
        if (node is not PolicyScalarNode { Kind: PolicyScalarKind.String or PolicyScalarKind.Number } scalar)
        {
            Error(path, $"expected a {what} number, found {node.KindName}");
            return null;
        }
        var text = scalar.Text.Trim();
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            if (text.Length > 0 && char.IsLetter(text[0]))
                Error(path, $"named port '{text}' is not supported: XdpNet has no container port names, write the number");
            else Error(path, $"'{text}' is not a {what} number");
            return null;
        }
        if (value > ushort.MaxValue)
        {
            Error(path, $"{what} {value} is outside 0-65535");
            return null;
        }
        return value;
    }

    private void IcmpRule(PolicyNode node, string path, List<IcmpField> icmps)
    {
        var fields = Fields(node, path, "icmps entry", IcmpRuleKeys, null);
        if (fields is null) return;
        if (!fields.TryGetValue("fields", out var list))
        {
            Error(path, "an icmps entry needs fields");
            return;
        }
        foreach (var (item, itemPath) in Items(list.Node, list.Path))
        {
            var f = Fields(item, itemPath, "ICMP field", IcmpFieldKeys, null);
            if (f is null) continue;
            var family = IcmpFamily.IPv4;
            if (f.TryGetValue("family", out var fam) && String(fam.Node, fam.Path) is { } familyText)
            {
                if (familyText.Equals("IPv4", StringComparison.OrdinalIgnoreCase)) family = IcmpFamily.IPv4;
                else if (familyText.Equals("IPv6", StringComparison.OrdinalIgnoreCase)) family = IcmpFamily.IPv6;
                else
                {
                    Error(fam.Path, $"family '{familyText}' is not IPv4 or IPv6");
                    continue;
                }
            }
            if (!f.TryGetValue("type", out var typeNode))
            {
                Error(itemPath, "an ICMP field needs a type");
                continue;
            }
            if (typeNode.Node is not PolicyScalarNode { Kind: PolicyScalarKind.String or PolicyScalarKind.Number } scalar)
            {
                Error(typeNode.Path, $"expected an ICMP type, found {typeNode.Node.KindName}");
                continue;
            }
            var text = scalar.Text.Trim();
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var type))
            {
                if (type > 255)
                {
                    Error(typeNode.Path, $"ICMP type {type} is outside 0-255");
                    continue;
                }
            }
            else if (IcmpTypeNames.TryGet(text, family, out var named)) type = named;
            else
            {
                Error(typeNode.Path, $"'{text}' is not an {(family == IcmpFamily.IPv4 ? "ICMPv4" : "ICMPv6")} type number or name");
                continue;
            }
            icmps.Add(new IcmpField((byte)type, family));
        }
    }

    private CidrRule? CidrSet(PolicyNode node, string path)
    {
        var fields = Fields(node, path, "CIDR set", CidrSetKeys, CidrSetUnsupported);
        if (fields is null) return null;
        if (!fields.TryGetValue("cidr", out var cidrNode))
        {
            Error(path, "a CIDR set needs cidr");
            return null;
        }
        if (String(cidrNode.Node, cidrNode.Path) is not { } text || Cidr(text, cidrNode.Path) is not { } cidr) return null;
        var excepts = new List<IPNetwork>();
        var ok = true;
        if (fields.TryGetValue("except", out var exceptList))
        {
            foreach (var (item, itemPath) in Items(exceptList.Node, exceptList.Path))
            {
                if (String(item, itemPath) is not { } exceptText || Cidr(exceptText, itemPath) is not { } except)
                {
                    ok = false;
                    continue;
                }
                if (except.BaseAddress.AddressFamily != cidr.BaseAddress.AddressFamily || except.PrefixLength < cidr.PrefixLength || !cidr.Contains(except.BaseAddress))
                {
                    Error(itemPath, $"except {except} is not inside cidr {cidr}");
                    ok = false;
                    continue;
                }
                excepts.Add(except);
            }
        }
        return ok ? new CidrRule(cidr, excepts) : null;
    }

    private IPNetwork? Cidr(string text, string path)
    {
        // Go's net.ParseCIDR (Cilium) accepts host bits and masks them; a bare address is a host prefix.
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText.Trim(), out var address) || addressText.Contains('%', StringComparison.Ordinal))
        {
            Error(path, $"'{text}' is not a CIDR (address/length)");
            return null;
        }
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max))
        {
            Error(path, $"'{text}' has a prefix length outside 0-{max}");
            return null;
        }
        var bytes = address.GetAddressBytes();
        for (var bit = length; bit < bytes.Length * 8; bit++) bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return new IPNetwork(new IPAddress(bytes), length);
    }

    private PolicyEntity? Entity(string text, string path)
    {
        switch (text.ToLowerInvariant())
        {
            case "all": return PolicyEntity.All;
            case "world": return PolicyEntity.World;
            case "cluster": return PolicyEntity.Cluster;
            case "host": return PolicyEntity.Host;
            default:
                Error(path, $"entity '{text}' is not supported by XdpNet (supported: all, world, cluster, host)");
                return null;
        }
    }

    private LabelSelector? Selector(PolicyNode node, string path)
    {
        var fields = Fields(node, path, "label selector", SelectorKeys, null);
        if (fields is null) return null;
        var errorsBefore = _errors.Count;
        var labels = new List<KeyValuePair<string, string>>();
        if (fields.TryGetValue("matchLabels", out var ml))
        {
            if (ml.Node is PolicyMapNode map)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (key, value) in map.Entries)
                {
                    var valuePath = Child(ml.Path, key);
                    var normalised = LabelSet.NormaliseKey(key);
                    if (normalised.Length == 0) Error(valuePath, "empty label key");
                    else if (!seen.Add(normalised)) Error(valuePath, $"label {normalised} given twice");
                    if (value is PolicyScalarNode { Kind: PolicyScalarKind.Null }) labels.Add(new(normalised, ""));
                    else if (String(value, valuePath) is { } text) labels.Add(new(normalised, text));
                }
            }
            else if (ml.Node is not PolicyScalarNode { Kind: PolicyScalarKind.Null })
                Error(ml.Path, $"expected an object of labels, found {ml.Node.KindName}");
        }
        var requirements = new List<LabelRequirement>();
        if (fields.TryGetValue("matchExpressions", out var me))
            foreach (var (item, itemPath) in Items(me.Node, me.Path))
                if (Requirement(item, itemPath) is { } requirement) requirements.Add(requirement);
        return _errors.Count == errorsBefore ? new LabelSelector(labels, requirements) : null;
    }

    private LabelRequirement? Requirement(PolicyNode node, string path)
    {
        var fields = Fields(node, path, "match expression", RequirementKeys, null);
        if (fields is null) return null;
        if (!fields.TryGetValue("key", out var keyNode) || String(keyNode.Node, keyNode.Path) is not { Length: > 0 } key)
        {
            if (!fields.ContainsKey("key")) Error(path, "a match expression needs key");
            return null;
        }
        if (!fields.TryGetValue("operator", out var opNode))
        {
            Error(path, "a match expression needs operator");
            return null;
        }
        if (String(opNode.Node, opNode.Path) is not { } opText) return null;
        SelectorOperator op;
        if (opText.Equals("In", StringComparison.OrdinalIgnoreCase)) op = SelectorOperator.In;
        else if (opText.Equals("NotIn", StringComparison.OrdinalIgnoreCase)) op = SelectorOperator.NotIn;
        else if (opText.Equals("Exists", StringComparison.OrdinalIgnoreCase)) op = SelectorOperator.Exists;
        else if (opText.Equals("DoesNotExist", StringComparison.OrdinalIgnoreCase)) op = SelectorOperator.DoesNotExist;
        else
        {
            Error(opNode.Path, $"operator '{opText}' is not one of In, NotIn, Exists, DoesNotExist");
            return null;
        }
        var values = new List<string>();
        var valuesPath = path;
        if (fields.TryGetValue("values", out var valuesNode))
        {
            valuesPath = valuesNode.Path;
            foreach (var (item, itemPath) in Items(valuesNode.Node, valuesNode.Path))
                if (String(item, itemPath) is { } value) values.Add(value);
        }
        if (op is SelectorOperator.In or SelectorOperator.NotIn && values.Count == 0)
        {
            Error(valuesPath, $"operator {op} needs at least one value");
            return null;
        }
        if (op is SelectorOperator.Exists or SelectorOperator.DoesNotExist && values.Count > 0)
        {
            Error(valuesPath, $"operator {op} takes no values");
            return null;
        }
        return new LabelRequirement(LabelSet.NormaliseKey(key), op, values);
    }

    /// <summary>
    /// The entries of an object keyed by their canonical spelling, or null (after an error) when the node is not
    /// an object. Unknown keys, unsupported features and keys given twice (ignoring case) are errors.
    /// </summary>
    private Dictionary<string, (PolicyNode Node, string Path)>? Fields(PolicyNode node, string path, string what, string[] known, Dictionary<string, string>? unsupported)
    {
        if (node is PolicyScalarNode { Kind: PolicyScalarKind.Null }) return new Dictionary<string, (PolicyNode, string)>(StringComparer.Ordinal);
        if (node is not PolicyMapNode map)
        {
            Error(path, $"expected {(what.StartsWith("ingress", StringComparison.Ordinal) || what.StartsWith("egress", StringComparison.Ordinal) ? "an" : "a")} {what} object, found {node.KindName}");
            return null;
        }
        var result = new Dictionary<string, (PolicyNode, string)>(StringComparer.Ordinal);
        var ok = true;
        foreach (var (key, value) in map.Entries)
        {
            var keyPath = Child(path, key);
            var canonical = Array.Find(known, k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
            if (canonical is null)
            {
                Error(keyPath, unsupported is not null && unsupported.TryGetValue(key, out var why) ? why : $"unknown key '{key}' in {what} (known: {string.Join(", ", known)})");
                ok = false;
                continue;
            }
            if (!result.TryAdd(canonical, (value, keyPath)))
            {
                Error(keyPath, $"{canonical} given twice (keys are matched ignoring case)");
                ok = false;
            }
        }
        return ok ? result : null;
    }

    private List<(PolicyNode Node, string Path)> Items(PolicyNode node, string path)
    {
        var items = new List<(PolicyNode, string)>();
        if (node is PolicyScalarNode { Kind: PolicyScalarKind.Null }) return items;
        if (node is not PolicyListNode list)
        {
            Error(path, $"expected a list, found {node.KindName}");
            return items;
        }
        for (var i = 0; i < list.Items.Count; i++) items.Add((list.Items[i], Index(path, i)));
        return items;
    }

    private string? String(PolicyNode node, string path)
    {
        if (node is PolicyScalarNode { Kind: not PolicyScalarKind.Null } scalar) return scalar.Text;
        Error(path, $"expected a string, found {node.KindName}");
        return null;
    }

    private bool? Boolean(PolicyNode node, string path)
    {
        if (node is PolicyScalarNode { Kind: PolicyScalarKind.Boolean } scalar) return scalar.Text == "true";
        Error(path, $"expected true or false, found {node.KindName}");
        return null;
    }

    private static PolicyNode? FindKey(PolicyMapNode map, string key)
    {
        foreach (var (candidate, value) in map.Entries)
            if (candidate.Equals(key, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }
}
