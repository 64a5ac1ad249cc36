using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Activities.Handlers;
using Microsoft.Extensions.DependencyInjection;

namespace FlowFunctions.Engine.Tests.Activities.Handlers;

/// <summary>
/// The server-side request forgery corpus of docs/reliability.md: URLs an attacker would put in an <c>http</c> node
/// (loopback, link-local and cloud metadata addresses, IPv6-mapped forms, decimal, octal and hex hosts, names that
/// resolve to private ranges, redirects into them). Every one is refused unless allow-listed. Loopback forms go through
/// the real handler to a real server on 127.0.0.1, which must see no request; forms of other non-public addresses are
/// checked where the handler checks them (the guard's resolution, which the connect callback calls before it opens a
/// socket), so that no test ever sends a packet off this machine.
/// </summary>
/// <remarks>
/// The loopback "server" counts TCP connections on every local address of one port (dual-mode, so 127.0.0.2, ::1 and
/// 0.0.0.0 reach it too): a refusal must happen before a connection is even opened, not only before a request is sent.
/// </remarks>
public sealed class SsrfCorpusTests
{
    /// <summary>URL templates whose host is a form of a loopback address; <c>{port}</c> is the test server's port.</summary>
    private static readonly string[] LoopbackTemplates =
    [
        "http://127.0.0.1:{port}/",
        "http://127.0.0.2:{port}/",
        "http://127.1:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f000001:{port}/",
        "http://0x7f.1:{port}/",
        "http://0177.0.0.1:{port}/",
        "http://017700000001:{port}/",
        "http://localhost:{port}/",
        "http://LocalHost:{port}/",
        "http://127。0。0。1:{port}/",
        "http://[::1]:{port}/",
        "http://[0:0:0:0:0:0:0:1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[::ffff:7f00:1]:{port}/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/",
        "http://0:{port}/",
        "http://0.0.0.0:{port}/",
        "http://[::]:{port}/",
        "http://user:pass@127.0.0.1:{port}/",
    ];

    /// <summary>URLs of other non-public addresses, with the reason the guard gives.</summary>
    private static readonly (string Url, string Reason)[] OtherUrls =
    [
        ("http://169.254.169.254/metadata/instance?api-version=2021-02-01", "link-local address"),
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "link-local address"),
        ("http://2852039166/", "link-local address"),
        ("http://0xa9fea9fe/", "link-local address"),
        ("http://0251.0376.0251.0376/", "link-local address"),
        ("http://169.254.43518/", "link-local address"),
        ("http://[::ffff:169.254.169.254]/", "link-local address in IPv4-mapped form"),
        ("http://[::ffff:a9fe:a9fe]/", "link-local address in IPv4-mapped form"),
        ("http://[64:ff9b::169.254.169.254]/", "link-local address in NAT64 form"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "unique local address"),
        ("http://168.63.129.16/machine?comp=goalstate", "Azure platform address"),
        ("http://168.63.129.16:32526/vmSettings", "Azure platform address"),
        ("http://100.100.100.200/latest/meta-data/", "carrier-grade NAT address"),
        ("http://10.0.0.1/", "private address"),
        ("http://012.0.0.1/", "private address"),
        ("http://167772161/", "private address"),
        ("http://172.16.0.1/", "private address"),
        ("http://172.31.255.255/", "private address"),
        ("http://192.168.0.1/", "private address"),
        ("http://0xc0a80001/", "private address"),
        ("http://[::ffff:10.0.0.1]/", "private address in IPv4-mapped form"),
        ("http://[::ffff:192.168.1.1]/", "private address in IPv4-mapped form"),
        ("http://[2002:c0a8:0101::1]/", "private address in 6to4 form"),
        ("http://[fe80::1]/", "link-local address"),
        ("http://[fc00::1]/", "unique local address"),
        ("http://[fec0::1]/", "site-local address"),
        ("http://[ff02::1]/", "multicast address"),
        ("http://224.0.0.1/", "multicast address"),
        ("http://255.255.255.255/", "broadcast address"),
        ("http://metadata.internal/computeMetadata/v1/", "link-local address"),
        ("http://intranet.corp.example/", "private address"),
        ("http://rebinding.example/", "loopback address"),
        ("http://ula.example/", "unique local address"),
    ];

    public static TheoryData<string> LoopbackForms => new(LoopbackTemplates);

    public static TheoryData<string, string> OtherForms
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (url, reason) in OtherUrls)
            {
                data.Add(url, reason);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(LoopbackForms))]
    public async Task LoopbackForm_IsRefused_BeforeAnyRequestReachesTheServer(string template)
    {
        await using var server = new ConnectionCounter();

        var outcome = await ExecuteAsync(Url(template, server.Port), allowedHosts: []);

        var failed = outcome.ShouldBeOfType<ActivityOutcome.Failed>();
        failed.Class.ShouldBe(ErrorClass.Permanent);
        failed.Message.ShouldStartWith("refused to connect to ");
        server.Connections.ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(LoopbackForms))]
    public async Task LoopbackForm_ReachesTheServer_WhenAllowListed(string template)
    {
        await using var server = new ConnectionCounter();

        var outcome = await ExecuteAsync(Url(template, server.Port), allowedHosts: ["127.0.0.0/8", "::1", "0.0.0.0", "::"]);

        outcome.ShouldBeOfType<ActivityOutcome.Succeeded>();
        server.Connections.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(OtherForms))]
    public async Task OtherNonPublicForm_IsRefusedWithItsReason(string url, string reason)
    {
        var guard = new HttpAddressGuard([], FakeDns);

        var refusal = await Should.ThrowAsync<DestinationRefusedException>(() => guard.ResolveAsync(new Uri(url).IdnHost, CancellationToken.None));

        refusal.Message.ShouldContain($"{reason})");
        refusal.Message.ShouldEndWith("add it to FlowFunctions:Http:AllowedHosts to allow it");
    }

    [Theory]
    [MemberData(nameof(OtherForms))]
    public async Task OtherNonPublicForm_PassesTheGuard_WhenAllowListed(string url, string reason)
    {
        _ = reason;
        var host = new Uri(url).IdnHost;
        var addresses = await FakeDns(host, CancellationToken.None);
        var guard = new HttpAddressGuard(addresses.Select(address => address.ToString()), FakeDns);

        (await guard.ResolveAsync(host, CancellationToken.None)).ShouldBe(addresses);
    }

    [Theory]
    [InlineData("http://127.0.0.2:{port}/")]
    [InlineData("http://2130706434:{port}/")]
    [InlineData("http://[::1]:{port}/")]
    [InlineData("http://[::ffff:127.0.0.3]:{port}/")]
    public async Task RedirectFromAnAllowListedServer_IntoARefusedForm_IsRefused(string target)
    {
        await using var victim = new ConnectionCounter();
        var location = Url(target, victim.Port);
        await using var redirector = new TestHttpServer(context => TestHttpServer.Reply(context, 302, headers: ("Location", location)));

        var outcome = await ExecuteAsync(redirector.BaseUrl.ToString(), allowedHosts: ["127.0.0.1"]);

        var failed = outcome.ShouldBeOfType<ActivityOutcome.Failed>();
        failed.Class.ShouldBe(ErrorClass.Permanent);
        failed.Message.ShouldStartWith("refused to connect to ");
        redirector.Requests.Count.ShouldBe(1);
        victim.Connections.ShouldBe(0);
    }

    [Fact]
    public async Task Corpus_IsRefusedInFull()
    {
        var guard = new HttpAddressGuard([], FakeDns);
        var urls = LoopbackTemplates.Select(template => Url(template, port: 80)).Concat(OtherUrls.Select(row => row.Url)).ToList();
        var refused = 0;
        foreach (var url in urls)
        {
            try
            {
                await guard.ResolveAsync(new Uri(url).IdnHost, CancellationToken.None);
            }
            catch (DestinationRefusedException)
            {
                refused++;
            }
        }

        refused.ShouldBe(urls.Count, $"{refused} of {urls.Count} refused");
    }

    /// <summary>The names of the corpus that are not literals: what an attacker's DNS would answer for them.</summary>
    private static Task<IPAddress[]> FakeDns(string host, CancellationToken cancellationToken) => host.TrimEnd('.').ToLowerInvariant() switch
    {
        "localhost" => Task.FromResult<IPAddress[]>([IPAddress.Loopback, IPAddress.IPv6Loopback]),
        "metadata.internal" => Task.FromResult<IPAddress[]>([IPAddress.Parse("169.254.169.254")]),
        "intranet.corp.example" => Task.FromResult<IPAddress[]>([IPAddress.Parse("10.20.30.40")]),
        "rebinding.example" => Task.FromResult<IPAddress[]>([IPAddress.Parse("93.184.216.34"), IPAddress.Parse("127.0.0.1")]),
        "ula.example" => Task.FromResult<IPAddress[]>([IPAddress.Parse("fd12:3456::1")]),
        _ => Dns.GetHostAddressesAsync(host, cancellationToken),
    };

    private static string Url(string template, int port) => template.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static async Task<ActivityOutcome> ExecuteAsync(string url, IEnumerable<string> allowedHosts)
    {
        var services = new ServiceCollection().AddFlowFunctionsActivities(options =>
        {
            foreach (var host in allowedHosts)
            {
                options.Http.AllowedHosts.Add(host);
            }
        });
        await using var provider = services.BuildServiceProvider();
        var executor = provider.GetRequiredService<ActivityExecutor>();
        return await executor.ExecuteAsync(Requests.For("http", new JsonObject { ["url"] = url }), CancellationToken.None);
    }

    /// <summary>Accepts TCP connections on one port of every local address, counts them and answers each with an empty 200.</summary>
    private sealed class ConnectionCounter : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.IPv6Any, 0);
        private readonly Task loop;
        private int connections;

        public ConnectionCounter()
        {
            listener.Server.DualMode = true;
            listener.Start();
            loop = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref connections);

        public async ValueTask DisposeAsync()
        {
            listener.Stop();
            await loop;
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync();
                }
                catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref connections);
                using (client)
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    var seen = string.Empty;
                    while (!seen.Contains("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(buffer) is var read and > 0)
                    {
                        seen += System.Text.Encoding.ASCII.GetString(buffer, 0, read);
                    }

                    await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                }
            }
        }
    }
}
