namespace FlowFunctions.Host.Api;

/// <summary>The caller of a request, as <see cref="ApiAuthentication"/> found it, and the roles routes need.</summary>
internal static class ApiCallers
{
    /// <summary>The actor of a request outside <c>/api</c> or before authentication ran (tests calling handlers directly).</summary>
    private static readonly ApiCaller Unknown = new("unknown", null);

    public static void SetCaller(this HttpContext context, ApiCaller caller) => context.Features.Set(caller);

    public static ApiCaller Caller(this HttpContext context) => context.Features.Get<ApiCaller>() ?? Unknown;

    /// <summary>The actor recorded with the request's changes.</summary>
    public static string Actor(this HttpRequest request) => request.HttpContext.Caller().Actor;

    /// <summary>The route needs <paramref name="role"/> (without this, GET needs reader and every other method admin).</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, ApiRole role)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiredRole(role));

    /// <summary>An actor name as recorded: no control characters, at most 200 characters.</summary>
    public static string CleanActor(string name)
    {
        var clean = new string([.. name.Where(c => !char.IsControl(c))]);
        return clean.Length > 200 ? clean[..200] : clean;
    }

    /// <summary>The role a request needs: its endpoint's <see cref="RequiredRole"/>, else reader for GET and HEAD and admin for the rest.</summary>
    public static ApiRole Needed(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RequiredRole>()?.Role
        ?? (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) ? ApiRole.Reader : ApiRole.Admin);

    /// <summary>403 forbidden naming the role <paramref name="needed"/> for <paramref name="what"/> and what the caller has.</summary>
    public static IResult Forbidden(ApiCaller caller, ApiRole needed, string what) =>
        Problems.Result(Problems.Forbidden, $"{what} needs the {needed.Name()} role; {caller.Describe()}", new Dictionary<string, object?>
        {
            ["requiredRole"] = needed.Name(),
            ["role"] = caller.Role?.Name(),
            ["actor"] = caller.Actor,
        });
}
