using System.Net;
using System.Net.Sockets;
using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Cli.Dev;

/// <summary>What answers on a port of 127.0.0.1.</summary>
internal enum PortState
{
    /// <summary>Nothing listens.</summary>
    Free,

    /// <summary>The expected Azurite service.</summary>
    Azurite,

    /// <summary>Something else (another program, or another Azurite service than expected).</summary>
    Other,
}

/// <summary>The three ports of one Azurite on 127.0.0.1: Blob, Queue and Table.</summary>
internal sealed record AzuritePorts(int Blob, int Queue, int Table)
{
    public static AzuritePorts FromBase(int blob) => new(blob, blob + 1, blob + 2);

    public string ConnectionString => DevelopmentStorage.ConnectionString(Blob, Queue, Table);

    public IEnumerable<(string Service, int Port)> All => [("Blob", Blob), ("Queue", Queue), ("Table", Table)];

    /// <summary>True when a TCP connection to 127.0.0.1:<paramref name="port"/> is accepted.</summary>
    public static async Task<bool> AnswersAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the port is free, serves Azurite's <paramref name="service"/> (its responses carry
    /// <c>Server: Azurite-Blob/3.x</c> and so on, even to a bare GET), or is taken by something else.
    /// </summary>
    public static async Task<PortState> ProbeAsync(int port, string service, CancellationToken cancellationToken)
    {
        if (!await AnswersAsync(port, cancellationToken))
        {
            return PortState.Free;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/"), cancellationToken);
            return response.Headers.Server.ToString().StartsWith($"Azurite-{service}/", StringComparison.OrdinalIgnoreCase)
                ? PortState.Azurite
                : PortState.Other;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // It accepts connections but does not speak HTTP the way Azurite does.
            return PortState.Other;
        }
    }
}
