using System.Net;
using System.Text;

namespace FlowFunctions.Cli.Tests.Dev;

/// <summary>
/// A real HTTP server on 127.0.0.1 that records each request (headers and body) and answers with (status, Location, body);
/// a 5xx's reason phrase repeats the request's X-Key header (a server that echoes a secret where clients log it).
/// </summary>
internal sealed class EchoServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<Request, (int Status, string? Location, string Body)> _answer;

    public EchoServer(Func<Request, (int Status, string? Location, string Body)> answer)
    {
        _answer = answer;
        var port = DevProcess.FreePort();
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public string Url { get; }

    public System.Collections.Concurrent.ConcurrentQueue<Request> Requests { get; } = new();

    public void Dispose() => _listener.Close();

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream);
            var request = new Request(context.Request.HttpMethod, context.Request.Url, context.Request.Headers, await reader.ReadToEndAsync());
            Requests.Enqueue(request);
            var (status, location, body) = _answer(request);
            context.Response.StatusCode = status;
            if (status >= 500)
            {
                context.Response.StatusDescription = "refused " + request.Headers["X-Key"]; // a reason phrase that repeats the secret
            }

            if (location is not null)
            {
                context.Response.RedirectLocation = location;
            }

            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}

/// <summary>A request the server received.</summary>
internal sealed record Request(string Method, Uri? Url, System.Collections.Specialized.NameValueCollection Headers, string Body);
