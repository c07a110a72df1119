using System.Runtime.InteropServices;

namespace XdpNet.LoadGen.Host;

/// <summary>SIGINT/SIGTERM end the run early but cleanly (the sink detaches, the generator reports).</summary>
internal sealed class StopSignal : IDisposable
{
    private readonly PosixSignalRegistration _int;
    private readonly PosixSignalRegistration _term;
    private readonly ManualResetEventSlim _stopped = new();

    public StopSignal()
    {
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    public bool IsSet => _stopped.IsSet;

    /// <summary>Sleeps until <paramref name="timeout"/> passes or a signal arrives; true if signalled.</summary>
    public bool Wait(TimeSpan timeout) => _stopped.Wait(timeout);

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        _stopped.Set();
    }

    public void Dispose()
    {
        _int.Dispose();
        _term.Dispose();
        _stopped.Dispose();
    }
}
