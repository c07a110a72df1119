namespace Xdp.Runtime.Tests.Interop;

/// <summary>A fact that compiles C against the system headers: skipped with a reason when gcc is absent.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (InteropLayoutTests.FindGcc() is null)
        {
            Skip = "needs gcc and the kernel/libc headers to compare layouts";
        }
    }
}
