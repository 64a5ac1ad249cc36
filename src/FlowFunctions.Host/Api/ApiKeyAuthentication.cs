using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Api;

/// <summary>
/// Requires <c>Authorization: Bearer &lt;key&gt;</c> with a configured key on every <c>/api</c> path but the health
/// probe, unless the host runs in <c>--dev</c> mode (only allowed on loopback).
/// </summary>
internal sealed class ApiKeyAuthentication(RequestDelegate next, IOptions<FlowHostOptions> options)
{
    private readonly byte[][] _keys = [.. options.Value.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k.Trim())))];

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (options.Value.Dev || !path.StartsWithSegments("/api") || path.Equals("/api/health", StringComparison.OrdinalIgnoreCase) || IsAuthorized(context.Request))
        {
            return next(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Result(Problems.Unauthorized, "send Authorization: Bearer <api key> with a key from the host's configuration (FlowFunctions:ApiKeys)")
            .ExecuteAsync(context);
    }

    private bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Compare hashes in constant time: neither the key nor its length leaks through timing.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        var match = false;
        foreach (var key in _keys)
        {
            match |= CryptographicOperations.FixedTimeEquals(given, key);
        }

        return match;
    }
}
