using FlowFunctions.Cli.Tests.Commands;
using FlowFunctions.Cli.Tests.Dev;
using FlowFunctions.Cli.Tests.EndToEnd;
using FlowFunctions.Host;
using Microsoft.AspNetCore.Builder;
using ModelContextProtocol.Client;

namespace FlowFunctions.Cli.Tests.Mcp;

/// <summary>An MCP server under test, reached with the SDK's own client: <c>flow mcp</c> over stdio, or the host's <c>/mcp</c> over HTTP.</summary>
internal interface IMcpServer : IAsyncDisposable
{
    /// <summary>The HTTP endpoint (<c>http://127.0.0.1:port/mcp</c>); null over stdio.</summary>
    Uri? Endpoint { get; }

    /// <summary>A connected client; over HTTP with <paramref name="key"/> as the bearer key (stdio has no keys: the local user is admin).</summary>
    Task<McpClient> ConnectAsync(string? key = null);
}

/// <summary>The keys of the HTTP server, one per role.</summary>
internal static class McpKeys
{
    public const string Reader = "reader-key-0123456789";
    public const string Operator = "operator-key-0123456789";
    public const string Admin = "admin-key-0123456789";
}

internal static class McpServers
{
    /// <summary>A fresh store: a SQLite file in <paramref name="folder"/>, or Azurite (FLOWFUNCTIONS_TEST_AZURE) under a name prefix of its own.</summary>
    public static string Store(string kind, DirectoryInfo folder) => kind == "sqlite"
        ? Path.Combine(folder.FullName, "flow.db")
        : Environment.GetEnvironmentVariable(AzureTheoryAttribute.Variable)!.TrimEnd(';') + ";NamePrefix=mcp" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A server on <paramref name="store"/> with <paramref name="settings"/>, working its runs unless <paramref name="worker"/> is false.</summary>
    public static async Task<IMcpServer> StartAsync(string transport, string store, IReadOnlyDictionary<string, string>? settings = null, bool worker = true) => transport switch
    {
        "stdio" => new StdioServer([FlowProcess.FlowDll, "mcp", "--store", store, .. worker ? Array.Empty<string>() : ["--no-worker"]], settings ?? new Dictionary<string, string>()),
        "http" => await HttpServer.StartAsync([.. worker ? Array.Empty<string>() : ["--no-worker"], "--store", store], settings ?? new Dictionary<string, string>()),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "stdio or http"),
    };

    /// <summary><c>dotnet flow.dll mcp --store ...</c> as the client's subprocess; settings become <c>FlowFunctions__...</c> environment variables.</summary>
    private sealed class StdioServer(IList<string> arguments, IReadOnlyDictionary<string, string> settings) : ClientsServer
    {
        public override Uri? Endpoint => null;

        public override async Task<McpClient> ConnectAsync(string? key = null)
        {
            var options = new StdioClientTransportOptions
            {
                Name = "flow",
                Command = "dotnet",
                Arguments = arguments,
                EnvironmentVariables = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => (string?)s.Value),
            };
            return Track(await McpClient.CreateAsync(new StdioClientTransport(options)));
        }
    }

    /// <summary>The host (API, <c>/mcp</c>, in-process worker) on a free 127.0.0.1 port, with a reader, an operator and an admin key.</summary>
    private sealed class HttpServer(WebApplication app, Uri endpoint) : ClientsServer
    {
        public override Uri? Endpoint { get; } = endpoint;

        public static async Task<HttpServer> StartAsync(IReadOnlyList<string> switches, IReadOnlyDictionary<string, string> settings)
        {
            var port = DevProcess.FreePort();
            string[] args =
            [
                .. switches, "--urls", $"http://127.0.0.1:{port}",
                $"--FlowFunctions:Keys:reader:Key={McpKeys.Reader}", "--FlowFunctions:Keys:reader:Role=reader",
                $"--FlowFunctions:Keys:operator:Key={McpKeys.Operator}", "--FlowFunctions:Keys:operator:Role=operator",
                $"--FlowFunctions:Keys:admin:Key={McpKeys.Admin}", "--FlowFunctions:Keys:admin:Role=admin",
                .. settings.Select(s => $"--{s.Key}={s.Value}"),
            ];
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = HostExtensions.NormalizeArguments(args), ContentRootPath = AppContext.BaseDirectory });
            builder.AddFlowFunctionsHost(args);
            var app = builder.Build();
            app.MapFlowFunctions();
            await app.StartAsync();
            return new HttpServer(app, new Uri($"http://127.0.0.1:{port}/mcp"));
        }

        public override async Task<McpClient> ConnectAsync(string? key = null)
        {
            var options = new HttpClientTransportOptions
            {
                Endpoint = Endpoint!,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + (key ?? McpKeys.Admin) },
            };
            return Track(await McpClient.CreateAsync(new HttpClientTransport(options)));
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Keeps the clients it connected, to close them first on dispose.</summary>
    private abstract class ClientsServer : IMcpServer
    {
        private readonly List<McpClient> _clients = [];

        public abstract Uri? Endpoint { get; }

        public abstract Task<McpClient> ConnectAsync(string? key = null);

        public virtual async ValueTask DisposeAsync()
        {
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }
        }

        protected McpClient Track(McpClient client)
        {
            _clients.Add(client);
            return client;
        }
    }
}
