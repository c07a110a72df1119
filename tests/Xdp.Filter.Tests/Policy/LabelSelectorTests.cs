using Xdp.Filter.Policy;

namespace Xdp.Filter.Tests.Policy;

public class LabelSelectorTests
{
    private static readonly LabelSet WebProd = LabelSet.From([new("app", "web"), new("env", "prod")]);
    private static readonly LabelSet WebTest = LabelSet.From([new("k8s:app", "web"), new("env", "test")]);
    private static readonly LabelSet Bare = LabelSet.From([new("app", "web")]);

    private static LabelSelector Expr(string key, SelectorOperator op, params string[] values) => new([], [new LabelRequirement(key, op, values)]);

    [Fact]
    public void In() => Check(Expr("env", SelectorOperator.In, "prod", "staging"), prod: true, test: false, bare: false);

    [Fact]
    public void NotInMatchesWhenTheKeyIsAbsent() => Check(Expr("env", SelectorOperator.NotIn, "prod"), prod: false, test: true, bare: true);

    [Fact]
    public void Exists() => Check(Expr("env", SelectorOperator.Exists), prod: true, test: true, bare: false);

    [Fact]
    public void DoesNotExist() => Check(Expr("env", SelectorOperator.DoesNotExist), prod: false, test: false, bare: true);

    [Fact]
    public void MatchLabelsAndExpressionsAreAnded() =>
        Check(new LabelSelector([new("app", "web")], [new LabelRequirement("env", SelectorOperator.NotIn, ["test"])]), prod: true, test: false, bare: true);

    [Fact]
    public void EmptySelectorMatchesEverything() => Check(LabelSelector.All, prod: true, test: true, bare: true);

    [Theory]
    [InlineData("k8s:app", "app")]
    [InlineData("any:app", "app")]
    [InlineData("container:app", "app")]
    [InlineData("app", "app")]
    [InlineData("reserved:host", "reserved:host")]
    [InlineData("Reserved:world", "reserved:world")]
    [InlineData("k8s:io.kubernetes.pod.namespace", "io.kubernetes.pod.namespace")]
    public void SourcePrefixesAreDroppedExceptReserved(string key, string normalised) => Assert.Equal(normalised, LabelSet.NormaliseKey(key));

    [Fact]
    public void SourcePrefixedSelectorsFromAFileMatchPlainEndpointLabels()
    {
        var rule = Assert.Single(PolicyLoader.Parse("""[{"endpointSelector": {"matchLabels": {"k8s:app": "web"}, "matchExpressions": [{"key": "any:env", "operator": "in", "values": ["prod"]}]}}]""", "s.json"));
        Assert.True(rule.EndpointSelector.Matches(WebProd));
        Assert.False(rule.EndpointSelector.Matches(WebTest));
    }

    [Fact]
    public void EqualLabelSetsHaveEqualCanonicalForms()
    {
        Assert.Equal(LabelSet.From([new("b", "2"), new("a", "1")]), LabelSet.From([new("k8s:a", "1"), new("b", "2")]));
        Assert.NotEqual(LabelSet.From([new("a", "1")]), LabelSet.From([new("a", "2")]));
    }

    private static void Check(LabelSelector selector, bool prod, bool test, bool bare)
    {
        Assert.Equal(prod, selector.Matches(WebProd));
        Assert.Equal(test, selector.Matches(WebTest));
        Assert.Equal(bare, selector.Matches(Bare));
    }
}
