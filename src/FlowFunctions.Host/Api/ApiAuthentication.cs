using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Api;

/// <summary>
/// Finds who calls every <c>/api</c> path but the health probe, and refuses what their role does not allow: 401 without
/// a credential, 403 with the missing role. The caller is, in this order: anyone in <c>--dev</c> mode (admin, actor
/// <c>dev</c>); an EasyAuth principal (<c>X-MS-CLIENT-PRINCIPAL</c>) when the request comes from the Functions host or
/// a trusted proxy, with the role of its app roles; a bearer key (named keys have their role, <c>ApiKeys</c> are
/// admin); under the Functions host, a request its function key let through (<see cref="FlowHostOptions.FunctionKeyRole"/>).
/// </summary>
internal sealed class ApiAuthentication(RequestDelegate next, IOptions<FlowHostOptions> options, IConfiguration configuration, ILogger<ApiAuthentication> logger)
{
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";
    public const string PrincipalNameHeader = "X-MS-CLIENT-PRINCIPAL-NAME";
    public const string PrincipalIdHeader = "X-MS-CLIENT-PRINCIPAL-ID";

    /// <summary>Claim types that carry app roles besides the principal's own <c>role_typ</c>.</summary>
    private static readonly string[] RoleClaimTypes = ["roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"];

    private readonly (byte[] Hash, ApiCaller Caller)[] _keys = Keys(options.Value);
    private readonly IPNetwork[] _trustedProxies = [.. options.Value.TrustedProxies.Select(ParseNetwork)];
    private readonly bool _underFunctions = Functions.CustomHandlerExtensions.IsUnderFunctions(configuration);
    private readonly ApiRole _functionKeyRole = ApiRoles.Parse(options.Value.FunctionKeyRole) ?? ApiRole.Admin;

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (!(path.StartsWithSegments("/api") || Mcp.McpServerExtensions.IsMcpPath(path)) || path.Equals("/api/health", StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        if (Authenticate(context) is not { } caller)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Result(Problems.Unauthorized, "send Authorization: Bearer <api key> with a key from the host's configuration (FlowFunctions:ApiKeys or FlowFunctions:Keys)")
                .ExecuteAsync(context);
        }

        var needed = ApiCallers.Needed(context);
        if (!caller.Has(needed))
        {
            return ApiCallers.Forbidden(caller, needed, $"{context.Request.Method} {path}").ExecuteAsync(context);
        }

        context.SetCaller(caller);
        return next(context);
    }

    private ApiCaller? Authenticate(HttpContext context)
    {
        if (options.Value.Dev)
        {
            return new ApiCaller("dev", ApiRole.Admin);
        }

        var request = context.Request;
        var trusted = IsTrustedSource(context.Connection.RemoteIpAddress);
        if (request.Headers.ContainsKey(PrincipalHeader))
        {
            if (trusted)
            {
                return Principal(request);
            }

            ApiLog.UntrustedPrincipal(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        }

        var header = request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            return Key(header);
        }

        // The Functions host checked the function key before it forwarded the request.
        return trusted && _underFunctions ? new ApiCaller("function-key", _functionKeyRole) : null;
    }

    /// <summary>The Functions host calls us on loopback; a configured proxy may forward principals too.</summary>
    private bool IsTrustedSource(IPAddress? remote)
    {
        if (remote is null)
        {
            return false;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        return (_underFunctions && IPAddress.IsLoopback(remote)) || _trustedProxies.Any(n => n.Contains(remote));
    }

    private ApiCaller? Key(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // Compare hashes in constant time: neither the key nor its length leaks through timing.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        ApiCaller? match = null;
        foreach (var (hash, caller) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(given, hash))
            {
                match = caller;
            }
        }

        return match;
    }

    /// <summary>
    /// The EasyAuth principal: base64 JSON <c>{"auth_typ", "claims": [{"typ", "val"}], "name_typ", "role_typ"}</c>; its
    /// highest app role named <c>reader</c>, <c>operator</c> or <c>admin</c> (case-insensitive). Unreadable: no caller.
    /// </summary>
    private static ApiCaller? Principal(HttpRequest request)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(Convert.FromBase64String(request.Headers[PrincipalHeader].ToString())).RootElement.Clone();
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("claims", out var claims) || claims.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        string? Text(string property) => root.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var roleType = Text("role_typ");
        var nameType = Text("name_typ");
        ApiRole? role = null;
        string? name = null;
        foreach (var claim in claims.EnumerateArray())
        {
            if (claim.ValueKind != JsonValueKind.Object || !claim.TryGetProperty("typ", out var typ) || !claim.TryGetProperty("val", out var val)
                || typ.ValueKind != JsonValueKind.String || val.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            var type = typ.GetString()!;
            if ((type == roleType || RoleClaimTypes.Contains(type)) && ApiRoles.Parse(val.GetString()) is { } claimed && (role is null || claimed > role))
            {
                role = claimed;
            }
            else if (type == nameType && name is null)
            {
                name = val.GetString();
            }
        }

        name = request.Headers[PrincipalNameHeader].ToString() is { Length: > 0 } header ? header : name ?? request.Headers[PrincipalIdHeader].ToString();
        return new ApiCaller("user:" + ApiCallers.CleanActor(name is { Length: > 0 } ? name : "unnamed"), role);
    }

    private static (byte[] Hash, ApiCaller Caller)[] Keys(FlowHostOptions options) =>
    [
        .. options.ApiKeys.Select((key, i) => (Hash(key), new ApiCaller($"key:ApiKeys[{i}]", ApiRole.Admin))),
        .. options.Keys.Select(k => (Hash(k.Value.Key), new ApiCaller("key:" + k.Key, ApiRoles.Parse(k.Value.Role)))),
    ];

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key.Trim()));

    /// <summary>A trusted proxy: an address (<c>10.0.0.4</c>) or a CIDR range (<c>10.0.0.0/24</c>); checked at start-up by the validator.</summary>
    internal static IPNetwork ParseNetwork(string text)
    {
        text = text.Trim();
        if (text.Contains('/', StringComparison.Ordinal))
        {
            return IPNetwork.Parse(text);
        }

        var address = IPAddress.Parse(text);
        return new IPNetwork(address, address.GetAddressBytes().Length * 8);
    }
}

internal static partial class ApiLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored an X-MS-CLIENT-PRINCIPAL header from {Remote}: principals are read only from the Functions host or a FlowFunctions:TrustedProxies address")]
    public static partial void UntrustedPrincipal(ILogger logger, string remote);
}
