using System.Diagnostics;
using System.Net.Sockets;
using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Bench;

/// <summary>
/// Makes sure an Azurite answers for <c>--azurite</c> runs: nothing to do with FLOWFUNCTIONS_BENCH_AZURE set or when
/// its ports already answer (that Azurite is used and left running); otherwise starts one with
/// <c>scripts/azurite.sh start</c> and stops it (and its data folder) when disposed. The ports are 10000-10002, or
/// FLOWFUNCTIONS_AZURITE_PORT_BASE and the next two, as for scripts/azurite.sh and ./test.sh (so a bench does not
/// take the ports of another checkout's Azurite).
/// </summary>
internal sealed class AzuriteProcess : IAsyncDisposable
{
    private readonly string? _root;

    private AzuriteProcess(string? root) => _root = root;

    /// <summary>The Blob port; Queue and Table follow at +1 and +2.</summary>
    public static int PortBase { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("FLOWFUNCTIONS_AZURITE_PORT_BASE"), out var portBase) ? portBase : DevelopmentStorage.DefaultBlobPort;

    /// <summary>The connection string of the Azurite on <see cref="PortBase"/>.</summary>
    public static string ConnectionString => DevelopmentStorage.ConnectionString(PortBase, PortBase + 1, PortBase + 2);

    public static async Task<AzuriteProcess> EnsureAsync()
    {
        if (Environment.GetEnvironmentVariable("FLOWFUNCTIONS_BENCH_AZURE") is { Length: > 0 })
        {
            Console.Error.WriteLine("using the account of FLOWFUNCTIONS_BENCH_AZURE");
            return new AzuriteProcess(null);
        }

        if (await AnswersAsync(PortBase) && await AnswersAsync(PortBase + 1) && await AnswersAsync(PortBase + 2))
        {
            Console.Error.WriteLine($"using the Azurite already listening on 127.0.0.1:{PortBase}-{PortBase + 2}");
            return new AzuriteProcess(null);
        }

        var root = FindRoot();
        Console.Error.WriteLine("starting Azurite with scripts/azurite.sh");
        await ScriptAsync(root, "start");
        return new AzuriteProcess(root);
    }

    public async ValueTask DisposeAsync()
    {
        if (_root is not null)
        {
            await ScriptAsync(_root, "stop");
        }
    }

    private static async Task<bool> AnswersAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "scripts", "azurite.sh")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("cannot find scripts/azurite.sh above the current or the bench's directory");
    }

    private static async Task ScriptAsync(string root, string verb)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = root, UseShellExecute = false };
        start.ArgumentList.Add("scripts/azurite.sh");
        start.ArgumentList.Add(verb);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot run scripts/azurite.sh");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/azurite.sh {verb} failed (exit {process.ExitCode})");
        }
    }
}
