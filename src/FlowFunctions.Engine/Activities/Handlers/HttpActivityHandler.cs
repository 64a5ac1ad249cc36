using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Activities.Handlers;

/// <summary>
/// <c>http</c>: sends one request (following redirects itself, so that each hop is checked) and returns
/// <c>{ status, headers, body }</c>. An unexpected status fails the execution with that status, classified by
/// <see cref="ErrorClassifier.ClassOf"/> (408, 429 and 5xx transient) and carrying the response's <c>Retry-After</c>;
/// connection failures are transient; refused destinations and oversized bodies are permanent.
/// </summary>
internal sealed class HttpActivityHandler(IHttpClientFactory clientFactory, IOptions<ActivityExecutorOptions> options, TimeProvider timeProvider)
    : IActivityHandler
{
    /// <summary>The named client of <see cref="IHttpClientFactory"/>; its primary handler carries the SSRF guard.</summary>
    public const string ClientName = "flowfunctions-http";

    private static readonly string[] CredentialHeaders = ["Authorization", "Proxy-Authorization", "Cookie"];

    private readonly HttpActivityOptions settings = options.Value.Http;

    public string NodeType => "http";

    public async Task<JsonNode?> ExecuteAsync(ActivityExecution execution, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var secrets = HttpSecrets.Resolve(execution.Input, settings.Secrets);
        var unresolved = HttpRequestSpec.Parse(execution.Input);
        var spec = HttpRequestSpec.Parse(secrets.Apply(execution.Input));

        // Headers and a body that carry a secret are for the origin the spec named, like credentials (see SendAsync).
        var secretHeaders = unresolved.Headers.Where(h => secrets.IsIn(JsonValue.Create(h.Value))).Select(h => h.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var secretBody = secrets.IsIn(unresolved.Body);

        // The pipeline's timeout stage limits executions of nodes that set one; the others get the default limit.
        using var limit = execution.Request.Timeout is null
            ? new CancellationTokenSource(settings.DefaultTimeout, timeProvider)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            return secrets.Scrub(await SendAsync(spec, secretHeaders, secretBody, linked.Token));
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ActivityException(ErrorClassifier.TimedOut(settings.DefaultTimeout), ErrorClass.Transient) { Kind = ErrorKind.Timeout };
        }
        catch (HttpRequestException exception) when (FindRefusal(exception) is { } refusal)
        {
            throw new ActivityException(secrets.Hide(refusal.Message), ErrorClass.Permanent);
        }
        catch (Exception exception) when (secrets.Scrub(exception) is var scrubbed && !ReferenceEquals(scrubbed, exception))
        {
            throw scrubbed;
        }
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    private static DestinationRefusedException? FindRefusal(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is DestinationRefusedException refusal)
            {
                return refusal;
            }
        }

        return null;
    }

    private static HttpRequestMessage BuildRequest(string method, Uri url, IEnumerable<KeyValuePair<string, string>> headers, JsonNode? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        request.Content = body switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String =>
                new StringContent(value.GetValue<string>(), Encoding.UTF8, "text/plain"),
            _ => new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };

        foreach (var (name, value) in headers)
        {
            if (request.Headers.TryAddWithoutValidation(name, value))
            {
                continue;
            }

            // A content header (Content-Type, ...): it belongs with the body, and means nothing without one.
            if (request.Content is not null)
            {
                request.Content.Headers.Remove(name);
                if (request.Content.Headers.TryAddWithoutValidation(name, value))
                {
                    continue;
                }
            }
            else if (IsContentHeader(name))
            {
                continue;
            }

            request.Dispose();
            throw new ActivityException($"http: invalid header '{name}'", ErrorClass.Permanent);
        }

        return request;
    }

    private static bool IsContentHeader(string name)
    {
        using var probe = new ByteArrayContent([]);
        return probe.Headers.TryAddWithoutValidation(name, "x");
    }

    private static JsonObject ReadHeaders(HttpResponseMessage response)
    {
        var headers = new JsonObject();
        var all = response.Headers.Concat(response.Content.Headers)
            .GroupBy(header => header.Key.ToLowerInvariant(), StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal);
        foreach (var group in all)
        {
            headers[group.Key] = string.Join(", ", group.SelectMany(header => header.Value));
        }

        return headers;
    }

    private static bool IsJson(MediaTypeHeaderValue? contentType) =>
        contentType?.MediaType is { } mediaType
        && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static Encoding EncodingOf(MediaTypeHeaderValue? contentType)
    {
        if (contentType?.CharSet is { Length: > 0 } charset)
        {
            try
            {
                return Encoding.GetEncoding(charset.Trim('"'));
            }
            catch (ArgumentException)
            {
                // An unknown charset: fall back to UTF-8 rather than failing the node.
            }
        }

        return Encoding.UTF8;
    }

    private async Task<JsonNode?> SendAsync(HttpRequestSpec spec, HashSet<string> secretHeaders, bool secretBody, CancellationToken cancellationToken)
    {
        var client = clientFactory.CreateClient(ClientName);
        var method = spec.Method;
        var url = spec.Url;
        var body = spec.Body;
        IEnumerable<KeyValuePair<string, string>> headers = spec.Headers;
        for (var redirects = 0; ; redirects++)
        {
            using var request = BuildRequest(method, url, headers, body);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            if (IsRedirect(response.StatusCode) && spec.ExpectStatus?.Contains(status) != true && response.Headers.Location is { } location)
            {
                if (redirects >= settings.MaxRedirects)
                {
                    throw new ActivityException($"{method} {spec.Url} was redirected more than {settings.MaxRedirects} times", ErrorClass.Permanent);
                }

                var target = location.IsAbsoluteUri ? location : new Uri(url, location);
                if (!HttpRequestSpec.IsHttp(target))
                {
                    throw new ActivityException($"refused to follow a redirect from {url} to {target}: only http and https are allowed", ErrorClass.Permanent);
                }

                if (url.Scheme == Uri.UriSchemeHttps && target.Scheme == Uri.UriSchemeHttp)
                {
                    throw new ActivityException($"refused to follow a redirect from {url} to {target}: it leaves https", ErrorClass.Permanent);
                }

                // Like browsers: 303 always, and 301/302 after POST, continue with a GET without body.
                if (status == 303 || (status is 301 or 302 && method == "POST"))
                {
                    method = method == "HEAD" ? "HEAD" : "GET";
                    body = null;
                }

                // Credentials and secrets are for the origin the spec named, not for wherever it redirects.
                if (!string.Equals(target.GetLeftPart(UriPartial.Authority), url.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
                {
                    if (secretBody && body is not null)
                    {
                        throw new ActivityException($"refused to follow a redirect from {url} to {target}: it would send the body, which holds a secret, to another origin", ErrorClass.Permanent);
                    }

                    headers = headers.Where(header => !CredentialHeaders.Contains(header.Key, StringComparer.OrdinalIgnoreCase) && !secretHeaders.Contains(header.Key)).ToList();
                }

                url = target;
                continue;
            }

            if (!spec.Accepts(status))
            {
                var reason = string.IsNullOrEmpty(response.ReasonPhrase) ? string.Empty : $" {response.ReasonPhrase}";
                throw new ActivityException($"{method} {url} returned {status}{reason}", ErrorClassifier.ClassOf(status))
                {
                    Kind = ErrorKind.HttpStatus,
                    Status = status,
                    RetryAfter = ErrorClassifier.RetryAfter(response.Headers.RetryAfter, timeProvider.GetUtcNow()),
                };
            }

            return new JsonObject
            {
                ["status"] = status,
                ["headers"] = ReadHeaders(response),
                ["body"] = method == "HEAD" ? null : await ReadBodyAsync(response.Content, cancellationToken),
            };
        }
    }

    private async Task<JsonNode?> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var cap = settings.MaxResponseBodyBytes;
        if (content.Headers.ContentLength > cap)
        {
            throw TooLarge(cap);
        }

        using var buffer = new MemoryStream();
        await using (var stream = await content.ReadAsStreamAsync(cancellationToken))
        {
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > cap)
                {
                    throw TooLarge(cap);
                }

                buffer.Write(chunk, 0, read);
            }
        }

        if (buffer.Length == 0)
        {
            return null;
        }

        var contentType = content.Headers.ContentType;
        var text = EncodingOf(contentType).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (IsJson(contentType))
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                // A server that says JSON and sends something else: keep what it sent.
            }
        }

        return JsonValue.Create(text);
    }

    private static ActivityException TooLarge(long cap) => new($"response body exceeds {cap} bytes", ErrorClass.Permanent);
}
