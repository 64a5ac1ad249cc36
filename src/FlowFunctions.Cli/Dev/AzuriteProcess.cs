using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FlowFunctions.Cli.Dev;

/// <summary>A problem <c>flow dev</c> reports as one plain message (exit 1) instead of a stack trace.</summary>
internal sealed class DevException(string message) : Exception(message);

/// <summary>
/// Azurite as a child process of <c>flow dev</c>: installed from the project's package.json when absent, started with
/// <c>node</c> directly (no shell or npm wrapper in between, so the process we stop is Azurite itself), and stopped
/// with SIGTERM (Azurite then closes its stores) before a kill of the whole tree.
/// </summary>
internal sealed class AzuriteProcess : IDisposable
{
    private const int TailLines = 40;

    private readonly Process process;
    private readonly Queue<string> tail = new();
    private readonly TextWriter stderr;
    private bool forwarding;

    private AzuriteProcess(Process process, TextWriter stderr)
    {
        this.process = process;
        this.stderr = stderr;
    }

    public int Id => process.Id;

    /// <summary>Completes when Azurite exits, for whatever reason.</summary>
    public Task Exited => process.WaitForExitAsync();

    public int ExitCode => process.ExitCode;

    /// <summary>Azurite's last output lines (with --silent, only its errors), for error messages.</summary>
    public string LogTail
    {
        get
        {
            lock (tail)
            {
                return tail.Count == 0 ? "(Azurite wrote nothing)" : string.Join(Environment.NewLine, tail);
            }
        }
    }

    /// <summary>
    /// The Azurite entry script under <paramref name="root"/>/node_modules, installing it with npm first when absent
    /// (<c>npm ci</c> when a lock file pins the versions, else <c>npm install</c>); npm's output goes to <paramref name="log"/>.
    /// </summary>
    public static async Task<string> EnsureInstalledAsync(string root, TextWriter log, CancellationToken cancellationToken)
    {
        if (FindScript(root) is { } installed)
        {
            return installed;
        }

        var npm = FindExecutable("npm")
            ?? throw new DevException($"Azurite is not installed in {Path.Combine(root, "node_modules")} and npm is not on PATH; install Node.js 20+ with npm, or run 'npm install' in {root} yourself");
        string[] arguments = File.Exists(Path.Combine(root, "package-lock.json"))
            ? ["ci", "--no-audit", "--no-fund"]
            : ["install", "--no-audit", "--no-fund"];
        await log.WriteLineAsync($"flow dev: installing Azurite into {Path.Combine(root, "node_modules")} (npm {string.Join(' ', arguments)})");

        var start = new ProcessStartInfo(npm) { WorkingDirectory = root, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var install = new Process { StartInfo = start };
        install.OutputDataReceived += (_, e) => WriteLine(log, e.Data);
        install.ErrorDataReceived += (_, e) => WriteLine(log, e.Data);
        install.Start();
        install.BeginOutputReadLine();
        install.BeginErrorReadLine();
        try
        {
            await install.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            install.Kill(entireProcessTree: true);
            throw;
        }

        if (install.ExitCode != 0)
        {
            throw new DevException($"npm {arguments[0]} in {root} failed with exit code {install.ExitCode} (its output is above)");
        }

        return FindScript(root) ?? throw new DevException($"npm {arguments[0]} succeeded but {Path.Combine(root, "node_modules", "azurite")} has no azurite entry script");
    }

    /// <summary>Starts Azurite on 127.0.0.1 with <paramref name="ports"/> and its data in <paramref name="dataFolder"/>.</summary>
    public static AzuriteProcess Start(string script, string dataFolder, AzuritePorts ports, TextWriter stderr)
    {
        var node = FindExecutable("node") ?? throw new DevException("node is not on PATH; Azurite needs Node.js 20+");
        var start = new ProcessStartInfo(node) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };

        // --loose and --skipApiVersionCheck: accept headers and service API versions newer than this Azurite knows (the SDKs send their newest).
        string[] arguments =
        [
            script, "--silent", "--disableTelemetry", "--loose", "--skipApiVersionCheck", "--location", dataFolder,
            "--blobHost", "127.0.0.1", "--blobPort", ports.Blob.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", ports.Queue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", ports.Table.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var azurite = new AzuriteProcess(process, stderr);
        process.OutputDataReceived += (_, e) => azurite.Record(e.Data);
        process.ErrorDataReceived += (_, e) => azurite.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return azurite;
    }

    /// <summary>Waits until all three ports accept connections; throws with Azurite's output when it exits or times out first.</summary>
    public async Task WaitUntilListeningAsync(AzuritePorts ports, TimeSpan limit, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answers = await Task.WhenAll(ports.All.Select(p => AzuritePorts.AnswersAsync(p.Port, cancellationToken)));
            if (answers.All(a => a))
            {
                // From now on Azurite's rare output (errors) goes to the terminal as it comes.
                lock (tail)
                {
                    forwarding = true;
                }

                return;
            }

            if (process.HasExited)
            {
                throw new DevException($"Azurite exited with code {process.ExitCode} during start-up (is a port of {ports.Blob}-{ports.Table} taken?); its output:{Environment.NewLine}{LogTail}");
            }

            if (clock.Elapsed > limit)
            {
                throw new DevException($"Azurite did not open ports {ports.Blob}, {ports.Queue} and {ports.Table} within {limit.TotalSeconds:0} s; its output:{Environment.NewLine}{LogTail}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>Stops Azurite: SIGTERM and up to <paramref name="grace"/> to close its stores, then a kill of the process tree.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        lock (tail)
        {
            // Its "closing..." lines on a requested stop are noise.
            forwarding = false;
        }

        if (process.HasExited)
        {
            return;
        }

        if (Signals.TryTerminate(process.Id))
        {
            using var wait = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(wait.Token);
                return;
            }
            catch (OperationCanceledException)
            {
                // Still running after the grace period: kill it below.
            }
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }

        await process.WaitForExitAsync();
    }

    public void Dispose() => process.Dispose();

    /// <summary>The full path of <paramref name="name"/> on PATH (with PATHEXT's extensions on Windows, e.g. npm.cmd), or null.</summary>
    internal static string? FindExecutable(string name)
    {
        var extensions = OperatingSystem.IsWindows()
            ? (Environment.GetEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries)
            : [string.Empty];
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(dir, name + extension);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>node_modules/azurite's <c>bin.azurite</c> script (e.g. dist/src/azurite.js), when installed.</summary>
    private static string? FindScript(string root)
    {
        var package = Path.Combine(root, "node_modules", "azurite");
        var manifest = Path.Combine(package, "package.json");
        if (!File.Exists(manifest))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(manifest));
            var bin = document.RootElement.TryGetProperty("bin", out var value) ? value : default;
            var relative = bin.ValueKind switch
            {
                JsonValueKind.String => bin.GetString(),
                JsonValueKind.Object when bin.TryGetProperty("azurite", out var entry) && entry.ValueKind == JsonValueKind.String => entry.GetString(),
                _ => null,
            };
            var script = relative is null ? null : Path.GetFullPath(Path.Combine(package, relative));
            return script is not null && File.Exists(script) ? script : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            // A broken install: npm reinstalls it.
            return null;
        }
    }

    private static void WriteLine(TextWriter writer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (writer)
        {
            writer.WriteLine(line);
        }
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        bool forward;
        lock (tail)
        {
            tail.Enqueue(line);
            if (tail.Count > TailLines)
            {
                tail.Dequeue();
            }

            forward = forwarding;
        }

        if (forward)
        {
            WriteLine(stderr, "azurite: " + line);
        }
    }

    /// <summary>SIGTERM for a graceful stop; .NET's Process API only offers SIGKILL.</summary>
    private static class Signals
    {
        private const int Sigterm = 15;

        public static bool TryTerminate(int pid) => !OperatingSystem.IsWindows() && kill(pid, Sigterm) == 0;

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int kill(int pid, int signal);
    }
}
