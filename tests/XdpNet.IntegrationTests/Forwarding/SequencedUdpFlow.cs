using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Forwarding;

/// <summary>
/// A paced UDP flow counted end to end: every datagram carries its sequence number, the sender records when it
/// sent each one and the receiver marks each number it got, so a loss is known by number and by time (to line it
/// up with what happened in the data plane meanwhile). Sender and receiver run on their own threads from sockets
/// created in their namespaces (a socket keeps the namespace it was created in).
/// </summary>
public sealed class SequencedUdpFlow : IDisposable
{
    // A wake-up sends at most this many: a veth's ring (256 frames) absorbs it, so the sender never causes the loss it measures.
    private const int MaxBurst = 64;
    private const int SOL_SOCKET = 1;
    private const int SO_RCVBUFFORCE = 33;

    private readonly Socket _sender;
    private readonly Socket _receiver;
    private readonly IPEndPoint _target;
    private readonly int _packetsPerSecond;
    private readonly int _payload;
    private readonly long[] _sentAtTicks;
    private readonly byte[] _seen;
    private readonly Thread _sendThread;
    private readonly Thread _receiveThread;
    private volatile bool _stopSending;
    private volatile bool _stopReceiving;
    private long _sent;
    private long _received;
    private long _duplicates;
    private long _foreign;
    private long _sendErrors;

    private SequencedUdpFlow(Socket sender, Socket receiver, IPEndPoint target, int packetsPerSecond, int capacity, int payload)
    {
        _sender = sender;
        _receiver = receiver;
        _target = target;
        _packetsPerSecond = packetsPerSecond;
        _payload = payload;
        _sentAtTicks = new long[capacity];
        _seen = new byte[capacity];
        _sendThread = new Thread(SendLoop) { IsBackground = true, Name = "udp flow sender" };
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = "udp flow receiver" };
    }

    /// <summary>The flow's clock: send times and whatever the test records against them.</summary>
    public Stopwatch Clock { get; } = new();

    public long Sent => Volatile.Read(ref _sent);
    public long Received => Volatile.Read(ref _received);
    public long Duplicates => Volatile.Read(ref _duplicates);
    /// <summary>Datagrams on the port that were not ours (wrong size or a number never sent).</summary>
    public long Foreign => Volatile.Read(ref _foreign);
    /// <summary>sendto failures (ENOBUFS and the like): not counted as sent.</summary>
    public long SendErrors => Volatile.Read(ref _sendErrors);

    /// <summary>
    /// Starts a receiver on destination:port in <paramref name="to"/> and a sender in <paramref name="from"/> sending
    /// <paramref name="packetsPerSecond"/> datagrams of <paramref name="payload"/> bytes until <see cref="StopSending"/>
    /// or <paramref name="maxDuration"/>.
    /// </summary>
    public static SequencedUdpFlow Start(NetNs from, NetNs to, string destination, int port, int packetsPerSecond, TimeSpan maxDuration, int payload = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(payload, sizeof(long));
        var address = IPAddress.Parse(destination);
        var receiver = to.Invoke(() =>
        {
            var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(address, port));
            // SO_RCVBUFFORCE (root) passes net.core.rmem_max without changing the host's sysctl: a scheduling hiccup of
            // the receiver thread must not overflow the socket and count as a data-plane loss.
            s.SetRawSocketOption(SOL_SOCKET, SO_RCVBUFFORCE, BitConverter.GetBytes(32 << 20));
            s.ReceiveTimeout = 200;
            return s;
        });
        Socket sender;
        try
        {
            sender = from.Invoke(() => new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
        }
        catch
        {
            receiver.Dispose();
            throw;
        }
        var capacity = checked((int)(packetsPerSecond * maxDuration.TotalSeconds));
        var flow = new SequencedUdpFlow(sender, receiver, new IPEndPoint(address, port), packetsPerSecond, capacity, payload);
        flow._receiveThread.Start();
        flow.Clock.Start();
        flow._sendThread.Start();
        return flow;
    }

    private void SendLoop()
    {
        var data = new byte[_payload];
        long seq = 0;
        long skipped = 0; // packets the schedule owed but the sender, having been descheduled, will not burst to catch up
        var frequency = Stopwatch.Frequency;
        while (!_stopSending && seq < _sentAtTicks.Length)
        {
            var now = Clock.ElapsedTicks;
            var due = (long)((double)now * _packetsPerSecond / frequency) - skipped;
            if (due - seq > MaxBurst)
            {
                skipped += due - seq - MaxBurst;
                due = seq + MaxBurst;
            }
            if (seq >= due)
            {
                Thread.Sleep(1);
                continue;
            }
            while (seq < due && seq < _sentAtTicks.Length)
            {
                BinaryPrimitives.WriteInt64LittleEndian(data, seq);
                _sentAtTicks[seq] = Clock.ElapsedTicks;
                try
                {
                    _sender.SendTo(data, _target);
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref _sendErrors);
                    break; // the same number goes again at the next wake-up
                }
                seq++;
                Volatile.Write(ref _sent, seq);
            }
        }
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[2048];
        while (!_stopReceiving)
        {
            int n;
            try
            {
                n = _receiver.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                continue;
            }
            if (n != _payload)
            {
                Interlocked.Increment(ref _foreign);
                continue;
            }
            var seq = BinaryPrimitives.ReadInt64LittleEndian(buffer);
            if (seq < 0 || seq >= _seen.Length)
            {
                Interlocked.Increment(ref _foreign);
                continue;
            }
            if (_seen[seq] != 0)
            {
                Interlocked.Increment(ref _duplicates);
                continue;
            }
            _seen[seq] = 1;
            Volatile.Write(ref _received, _received + 1);
        }
    }

    /// <summary>Stops the sender, then waits until everything sent arrived or nothing arrived for <paramref name="quiet"/>.</summary>
    public void StopSendingAndDrain(TimeSpan quiet)
    {
        _stopSending = true;
        _sendThread.Join();
        var last = Received;
        var lastProgress = Stopwatch.StartNew();
        while (Received < Sent && lastProgress.Elapsed < quiet)
        {
            Thread.Sleep(20);
            if (Received != last)
            {
                last = Received;
                lastProgress.Restart();
            }
        }
        _stopReceiving = true;
        _receiveThread.Join();
    }

    /// <summary>The first <paramref name="max"/> numbers sent but not received, with when they were sent (on <see cref="Clock"/>).</summary>
    public IReadOnlyList<(long Sequence, TimeSpan SentAt)> Lost(int max = 50)
    {
        var lost = new List<(long, TimeSpan)>();
        var sent = Sent;
        for (long i = 0; i < sent && lost.Count < max; i++)
        {
            if (_seen[i] == 0) lost.Add((i, TimeSpan.FromSeconds((double)_sentAtTicks[i] / Stopwatch.Frequency)));
        }
        return lost;
    }

    public void Dispose()
    {
        _stopSending = true;
        _stopReceiving = true;
        if (_sendThread.IsAlive) _sendThread.Join();
        if (_receiveThread.IsAlive) _receiveThread.Join();
        _sender.Dispose();
        _receiver.Dispose();
    }
}
