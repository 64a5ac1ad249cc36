using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Engine;
using FlowFunctions.Host.Functions;
using FlowFunctions.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace FlowFunctions.Host.Tests.Functions;

/// <summary>The host in-process over a fresh store (a temporary SQLite file, or a connection string), for replaying payloads.</summary>
internal sealed class HandlerApp : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;
    private readonly string? _directory;

    private HandlerApp(string store, string? directory, Action<IServiceCollection>? services)
    {
        _directory = directory;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting(WebJobsStorage.StoreKey, store);

            // As under the Functions host, which names the port: no API key required, no polling worker.
            builder.UseSetting(CustomHandlerExtensions.PortVariable, "7071");
            if (services is not null)
            {
                builder.ConfigureTestServices(services);
            }
        });
        Client = _factory.CreateClient();
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    public IFlowStore Store => Services.GetRequiredService<IFlowStore>();

    public FlowEngine Engine => Services.GetRequiredService<FlowEngine>();

    public static HandlerApp Sqlite(Action<IServiceCollection>? services = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "flowfunctions-handler-" + Guid.NewGuid().ToString("N"));
        return new HandlerApp(Path.Combine(directory, "flow.db"), directory, services);
    }

    public static HandlerApp Azure(string connectionString) => new(connectionString, null, null);

    public async Task<(HttpResponseMessage Response, JsonObject Payload)> InvokeAsync(string function, JsonObject payload)
    {
        var response = await Client.PostAsJsonAsync(new Uri("/" + function, UriKind.Relative), payload);
        var body = await response.Content.ReadAsStringAsync();
        return (response, JsonNode.Parse(body)!.AsObject());
    }

    public async Task<IReadOnlyList<RunSummary>> RunsAsync() => (await Store.Runs.ListAsync(new RunQuery(Limit: 100), CancellationToken.None)).Runs;

    public async Task<List<JsonObject>> DrainAsync(string queue)
    {
        var bodies = new List<JsonObject>();
        while (await Store.Queues.DequeueAsync(queue, 32, TimeSpan.FromMinutes(1), CancellationToken.None) is { Count: > 0 } messages)
        {
            foreach (var message in messages)
            {
                bodies.Add(JsonNode.Parse(message.Body)!.AsObject());
                await Store.Queues.DeleteAsync(queue, message, CancellationToken.None);
            }
        }

        return bodies;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
