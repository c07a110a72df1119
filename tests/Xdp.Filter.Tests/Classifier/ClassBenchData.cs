using System.Runtime.CompilerServices;

namespace Xdp.Filter.Tests.Classifier;

/// <summary>The ClassBench rule sets in ../shared/data/classbench beside the repository.</summary>
internal static class ClassBenchData
{
    public static string Directory { get; } = Find();

    public static string File(string name) => Path.Combine(Directory, name);

    private static string Find([CallerFilePath] string thisFile = "")
    {
        var dir = Path.GetDirectoryName(thisFile);
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir, "XdpNet.sln"))) dir = Path.GetDirectoryName(dir);
        if (dir is null) throw new InvalidOperationException("repository root not found above " + thisFile);
        return Path.GetFullPath(Path.Combine(dir, "..", "shared", "data", "classbench"));
    }
}
