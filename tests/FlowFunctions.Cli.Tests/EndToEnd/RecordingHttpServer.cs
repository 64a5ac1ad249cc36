using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace FlowFunctions.Cli.Tests.EndToEnd;

/// <summary>
/// One request as the server saw it: which node sent it and when (on the test's shared clock), from which local port of
/// the sender (each request has its own connection, so while it is open the port tells which process sent it; see
/// <see cref="FlowProcess.PortsConnectedTo"/>), and when its answer was written (null while it is in flight). Ports are
/// reused once a connection closes, so a port identifies a sender only among the requests in flight.
/// </summary>
internal sealed record RecordedRequest(int Sequence, string Node, string Method, string Path, TimeSpan At, int RemotePort = 0, TimeSpan? AnsweredAt = null)
{
    /// <summary>Whether the request had been received and not yet answered at <paramref name="time"/>.</summary>
    public bool InFlightAt(TimeSpan time) => At <= time && (AnsweredAt is null || AnsweredAt >= time);
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 that records every complete request and answers a JSON body that depends
/// only on the request, after a random delay (so that kills land mid-activity). It is written on a raw socket so the
/// response carries no Date or Server header: the http node's output is then the same in every run.
/// </summary>
internal sealed class RecordingHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Stopwatch _clock;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly Task _acceptLoop;
    private readonly int _minDelayMs;
    private readonly int _maxDelayMs;

    /// <summary>Starts the server; each answer comes after a random delay of <paramref name="minDelayMs"/> to <paramref name="maxDelayMs"/> ms.</summary>
    public RecordingHttpServer(Stopwatch clock, int seed, int minDelayMs = 10, int maxDelayMs = 80)
    {
        _clock = clock;
        _random = new Random(seed);
        _minDelayMs = minDelayMs;
        _maxDelayMs = maxDelayMs;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public void Clear()
    {
        lock (_requests)
        {
            _requests.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);

            // The accept time is the execution's start: a request of a worker that dies right after sending it is
            // still stamped before the test records the kill as done.
            var acceptedAt = _clock.Elapsed;
            _ = Task.Run(() => ServeAsync(client, acceptedAt), CancellationToken.None);
        }
    }

    private async Task ServeAsync(TcpClient client, TimeSpan acceptedAt)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadRequestAsync(stream);
                if (request is null)
                {
                    // The sender died before it finished the request: no execution reached us.
                    return;
                }

                var (method, path, headers, body) = request.Value;
                var node = headers.GetValueOrDefault("x-flow-node", "?");
                var remotePort = (client.Client.RemoteEndPoint as IPEndPoint)?.Port ?? 0;
                RecordedRequest recorded;
                lock (_requests)
                {
                    recorded = new RecordedRequest(_requests.Count + 1, node, method, path, acceptedAt, remotePort);
                    _requests.Add(recorded);
                }

                int delay;
                lock (_random)
                {
                    delay = _random.Next(_minDelayMs, _maxDelayMs + 1);
                }

                await Task.Delay(delay, _stop.Token);
                var answer = Encoding.UTF8.GetBytes(Answer(node, path, body).ToJsonString());
                var head = Encoding.ASCII.GetBytes(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + $"Content-Length: {answer.Length.ToString(CultureInfo.InvariantCulture)}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, _stop.Token);
                await stream.WriteAsync(answer, _stop.Token);
                lock (_requests)
                {
                    var index = _requests.IndexOf(recorded);
                    if (index >= 0)
                    {
                        _requests[index] = recorded with { AnsweredAt = _clock.Elapsed };
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The worker was killed mid-request, or the server is stopping.
            }
        }
    }

    /// <summary>The response: a function of the request only.</summary>
    private static JsonObject Answer(string node, string path, JsonNode? body)
    {
        var answer = new JsonObject { ["node"] = node, ["path"] = path };
        if (body?["item"] is JsonValue item && item.TryGetValue<int>(out var n))
        {
            answer["square"] = n * n;
            answer["label"] = $"item-{n}";
        }

        answer["echo"] = body?.DeepClone();
        return answer;
    }

    private static async Task<(string Method, string Path, Dictionary<string, string> Headers, JsonNode? Body)?> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>(1024);
        var chunk = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
        {
            var read = await stream.ReadAsync(chunk);
            if (read == 0)
            {
                return null;
            }

            buffer.AddRange(chunk.AsSpan(0, read));
        }

        var lines = Encoding.ASCII.GetString([.. buffer.Take(headerEnd)]).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
            }
        }

        var length = headers.TryGetValue("content-length", out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : 0;
        var bodyStart = headerEnd + 4;
        while (buffer.Count - bodyStart < length)
        {
            var read = await stream.ReadAsync(chunk);
            if (read == 0)
            {
                return null;
            }

            buffer.AddRange(chunk.AsSpan(0, read));
        }

        var body = length == 0 ? null : JsonNode.Parse(Encoding.UTF8.GetString([.. buffer.Skip(bodyStart).Take(length)]));
        return (requestLine[0], requestLine[1], headers, body);
    }

    private static int IndexOfHeaderEnd(List<byte> buffer)
    {
        for (var i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
