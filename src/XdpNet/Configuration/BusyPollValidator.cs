namespace XdpNet.Configuration;

/// <summary>
/// BusyPoll: TimeoutUs (SO_BUSY_POLL) 0..1000000 and positive when enabled; Budget (SO_BUSY_POLL_BUDGET) 1..65535
/// (the kernel refuses more than U16_MAX).
/// </summary>
internal sealed class BusyPollValidator : IConfigSectionValidator
{
    public void Validate(ValidationContext context)
    {
        var busy = context.Config.BusyPoll;
        if (busy.TimeoutUs is < 0 or > 1_000_000)
        {
            context.Add("BusyPoll:TimeoutUs", $"{busy.TimeoutUs} is outside 0..1000000 microseconds");
        }
        else if (busy.Enabled && busy.TimeoutUs == 0)
        {
            context.Add("BusyPoll:TimeoutUs", "must be positive when BusyPoll:Enabled is true (0 disables busy polling)");
        }
        if (busy.Budget is < 1 or > ushort.MaxValue)
        {
            context.Add("BusyPoll:Budget", $"{busy.Budget} is outside 1..{ushort.MaxValue}");
        }
    }
}
