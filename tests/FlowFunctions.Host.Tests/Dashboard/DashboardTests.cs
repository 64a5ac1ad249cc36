using System.Diagnostics;
using System.Net;
using System.Text;
using FlowFunctions.Host.Tests.Api;
using FlowFunctions.Host.Tests.Deployment;
using Xunit.Abstractions;

namespace FlowFunctions.Host.Tests.Dashboard;

/// <summary>
/// The dashboard as the host built by <c>dotnet build</c> serves it: its static files and client routes at <c>/</c>
/// beside the API, its Vitest component tests, and its end-to-end scenarios in headless Chromium (Debian's
/// <c>/usr/bin/chromium</c>, or <c>CHROMIUM_PATH</c>; <c>.ci/run</c> installs it) against the real host on 127.0.0.1
/// with the embedded store. <c>FLOWFUNCTIONS_SCREENSHOTS=dir</c> keeps the scenarios' screenshots (docs/screenshots).
/// </summary>
public sealed class DashboardTests(ITestOutputHelper output)
{
    private static readonly string DashboardDir = Repository.PathOf("src/FlowFunctions.Dashboard");

    [Fact]
    public async Task Host_ServesTheDashboardAtRootAndItsClientRoutes_WhileApiPathsStayApi()
    {
        await using var host = await HostProcess.StartAsync();
        using var client = host.Client();

        foreach (var path in (string[])["/", "/runs/0123456789abcdef", "/workflows"])
        {
            using var page = await client.GetAsync(new Uri(path, UriKind.Relative));
            page.StatusCode.ShouldBe(HttpStatusCode.OK, path);
            page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html", path);
            (await page.Content.ReadAsStringAsync()).ShouldContain("<div id=\"root\">", Case.Sensitive, path);
        }

        using var unknown = await client.GetAsync(new Uri("/api/nope", UriKind.Relative));
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        unknown.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task ComponentTests_Vitest_AllPass()
    {
        var (exitCode, text) = await RunAsync("npm", ["test"], new Dictionary<string, string>(), TimeSpan.FromMinutes(5));

        exitCode.ShouldBe(0, text);
    }

    [Theory]
    [InlineData("lifecycle")]
    [InlineData("redrive")]
    [InlineData("patch")]
    [InlineData("perf")]
    public async Task Browser_Scenario_Passes(string scenario)
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        File.Exists(chromium).ShouldBeTrue($"{chromium} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does, or set CHROMIUM_PATH");
        await using var host = await HostProcess.StartAsync();
        var environment = new Dictionary<string, string> { ["FLOW_URL"] = host.BaseAddress.ToString().TrimEnd('/'), ["CHROMIUM_PATH"] = chromium };
        if (Environment.GetEnvironmentVariable("FLOWFUNCTIONS_SCREENSHOTS") is { Length: > 0 } shots)
        {
            environment["FLOW_SCREENSHOTS"] = Path.GetFullPath(shots);
        }

        var (exitCode, text) = await RunAsync("node", ["e2e/run.mjs", scenario], environment, TimeSpan.FromMinutes(10));

        exitCode.ShouldBe(0, $"{text}\nhost output:\n{host.Output}");
        text.ShouldContain($"ok {scenario}");
    }

    /// <summary>Runs a command in the dashboard folder to its end; its output goes to the test output (the perf metrics).</summary>
    private async Task<(int ExitCode, string Output)> RunAsync(string command, string[] arguments, Dictionary<string, string> environment, TimeSpan limit)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = DashboardDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var text = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (text) { text.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (text) { text.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"{command} {string.Join(' ', arguments)} did not finish in {limit}: {text}");
        }

        process.WaitForExit();
        var all = text.ToString();
        output.WriteLine(all);
        return (process.ExitCode, all);
    }
}
