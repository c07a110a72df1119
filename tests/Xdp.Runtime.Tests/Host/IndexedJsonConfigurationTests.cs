using Microsoft.Extensions.Configuration;
using XdpNet.Configuration;

namespace Xdp.Runtime.Tests.Host;

/// <summary>
/// The indexed JSON provider must present exactly the tree the stock provider does (same keys, same order, same
/// values), only faster; and a large rule list must bind completely.
/// </summary>
public class IndexedJsonConfigurationTests
{
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        // Host configurations only (examples/policies holds Cilium policy lists, not configuration files).
        foreach (var f in Directory.GetFiles(Path.Combine(RepoPaths.Root, "examples"), "*.json", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Path.Combine(RepoPaths.Root, "examples"), f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void SameTreeAsTheStockProvider(string example)
    {
        var path = RepoPaths.Example(example);
        var stock = new ConfigurationBuilder().AddJsonFile(path).Build();
        var indexed = Indexed(path);
        Assert.Equal(Walk(stock), Walk(indexed));
    }

    [Fact]
    public void MixedCaseKeysAndNestedArraysAreOneTree()
    {
        using var dir = new TempDir();
        var path = dir.Write("c.json", """
            { "Policy": { "Rules": [ { "Source": "198.18.0.0/15", "Ports": [ 1, 2 ] }, { "source": "198.19.0.1/32" } ] },
              "policy": { "RulesDefault": "deny" } }
            """);
        var stock = new ConfigurationBuilder().AddJsonFile(path).Build();
        Assert.Equal(Walk(stock), Walk(Indexed(path)));
        Assert.Equal(["Rules", "RulesDefault"], Indexed(path).GetSection("Policy").GetChildren().Select(c => c.Key));
    }

    [Fact]
    public void TenThousandRulesBindInOrder()
    {
        using var dir = new TempDir();
        var rules = string.Join(",\n", Enumerable.Range(0, 10_000).Select(i => $$"""{ "Source": "198.19.{{i / 256}}.{{i % 256}}/32", "Action": "deny" }"""));
        var path = dir.Write("h.json", $$"""
            {
              "Node": { "Name": "n1" },
              "Interfaces": [ { "Name": "dut0" } ],
              "Policy": { "Rules": [ {{rules}} ] }
            }
            """);
        var result = HostConfigLoader.Load(path, environment: new Dictionary<string, string?>());
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        var loaded = result.Config!.Policy.Rules;
        Assert.Equal(10_000, loaded.Count);
        Assert.Equal("198.19.0.0/32", loaded[0].Source);
        Assert.Equal("198.19.39.15/32", loaded[9_999].Source);
    }

    private static IConfigurationRoot Indexed(string path)
    {
        var source = new IndexedJsonConfigurationSource { Path = path, Optional = false };
        source.ResolveFileProvider();
        return new ConfigurationBuilder().Add(source).Build();
    }

    private static List<string> Walk(IConfiguration root)
    {
        var lines = new List<string>();
        void Visit(IConfiguration node, string path)
        {
            foreach (var child in node.GetChildren())
            {
                lines.Add($"{child.Path}={child.Value}");
                Visit(child, child.Path);
            }
        }
        Visit(root, "");
        return lines;
    }
}
