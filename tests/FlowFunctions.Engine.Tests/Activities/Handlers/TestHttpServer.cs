using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FlowFunctions.Engine.Tests.Activities.Handlers;

/// <summary>A real HTTP server on 127.0.0.1 (HttpListener) that records requests and answers through a callback.</summary>
internal sealed class TestHttpServer : IAsyncDisposable
{
    private readonly HttpListener listener;
    private readonly Func<HttpListenerContext, Task> respond;
    private readonly Task loop;

    public TestHttpServer(Func<HttpListenerContext, Task> respond)
    {
        this.respond = respond;
        (listener, BaseUrl) = Start();
        loop = Task.Run(AcceptAsync);
    }

    public Uri BaseUrl { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public static async Task Reply(HttpListenerContext context, int status, string body = "", string? contentType = null, params (string Name, string Value)[] headers)
    {
        context.Response.StatusCode = status;
        if (contentType is not null)
        {
            context.Response.ContentType = contentType;
        }

        foreach (var (name, value) in headers)
        {
            context.Response.AddHeader(name, value);
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
    }

    public Uri Url(string pathAndQuery) => new(BaseUrl, pathAndQuery);

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        try
        {
            await loop;
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
        {
            // Stopping the listener ends the accept loop.
        }
    }

    private static (HttpListener Listener, Uri BaseUrl) Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var url = new Uri($"http://127.0.0.1:{port}/");
            var listener = new HttpListener();
            listener.Prefixes.Add(url.ToString());
            try
            {
                listener.Start();
                return (listener, url);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                var headers = context.Request.Headers.AllKeys.Where(key => key is not null)
                    .ToDictionary(key => key!, key => context.Request.Headers[key], StringComparer.OrdinalIgnoreCase);
                Requests.Enqueue(new RecordedRequest(context.Request.HttpMethod, context.Request.Url!.PathAndQuery, headers, body));
                try
                {
                    await respond(context);
                    context.Response.Close();
                }
                catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or IOException)
                {
                    // The client went away (timeouts, body cap).
                }
            });
        }
    }

    internal sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string?> Headers, string Body);
}
