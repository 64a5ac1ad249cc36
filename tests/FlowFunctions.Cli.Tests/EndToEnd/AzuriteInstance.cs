using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FlowFunctions.Cli.Tests.EndToEnd;

/// <summary>
/// An Azurite of the test's own (the one ./test.sh installed into node_modules), on free 127.0.0.1 ports and a data
/// folder of its own, so a test can stop storage and start it again on the same data without disturbing the Azurite
/// the other tests share.
/// </summary>
internal sealed class AzuriteInstance : IAsyncDisposable
{
    // Azurite's documented development account key (public, the same in every installation).
    internal const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _location;
    private readonly int[] _ports;
    private Process? _process;

    private AzuriteInstance(string location, int[] ports)
    {
        _location = location;
        _ports = ports;
    }

    /// <summary>A connection string for this instance's three endpoints.</summary>
    public string ConnectionString
    {
        get
        {
            string Endpoint(int port) => $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/devstoreaccount1";
            return $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevelopmentKey};"
                + $"BlobEndpoint={Endpoint(_ports[0])};QueueEndpoint={Endpoint(_ports[1])};TableEndpoint={Endpoint(_ports[2])}";
        }
    }

    public static async Task<AzuriteInstance> StartAsync(string location)
    {
        Directory.CreateDirectory(location);
        var instance = new AzuriteInstance(location, [FreePort(), FreePort(), FreePort()]);
        await instance.StartAgainAsync();
        return instance;
    }

    /// <summary>Starts Azurite (again) on the same ports and data, and waits until the three ports answer.</summary>
    public async Task StartAgainAsync()
    {
        var azurite = Path.Combine(RepositoryPaths.Root, "node_modules", ".bin", "azurite");
        File.Exists(azurite).ShouldBeTrue("Azurite is not installed: ./test.sh installs it (npm) before the tests");
        var start = new ProcessStartInfo(azurite) { UseShellExecute = false };
        foreach (var arg in (string[])[
            "--silent", "--disableTelemetry", "--loose", "--skipApiVersionCheck", "--location", _location,
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", Text(_ports[0]), "--queuePort", Text(_ports[1]), "--tablePort", Text(_ports[2])])
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        var waited = Stopwatch.StartNew();
        foreach (var port in _ports)
        {
            while (!await AnswersAsync(port))
            {
                _process.HasExited.ShouldBeFalse("Azurite exited during start-up");
                waited.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "Azurite did not open its ports");
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Stops Azurite the way an operator would (SIGTERM, so it writes its data), and waits until it is gone.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", Text(_process.Id)]))
        {
            await kill.WaitForExitAsync();
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(limit.Token);
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> AnswersAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
