namespace FlowFunctions.Host.Api;

/// <summary>What a caller of the API may do; each role includes the ones below it.</summary>
public enum ApiRole
{
    /// <summary>GET only: runs, nodes, events, revisions, workflows, artifacts; patch dry runs.</summary>
    Reader = 1,

    /// <summary>Also start and rerun runs, raise events, pause, resume, cancel, redrive.</summary>
    Operator = 2,

    /// <summary>Also patch graphs, terminate runs, clear the step cache, register workflows.</summary>
    Admin = 3,
}

/// <summary>Role names as configured and shown: <c>reader</c>, <c>operator</c>, <c>admin</c>.</summary>
internal static class ApiRoles
{
    public static string Name(this ApiRole role) => role.ToString().ToLowerInvariant();

    public static ApiRole? Parse(string? name) =>
        Enum.TryParse<ApiRole>(name, ignoreCase: true, out var role) && Enum.IsDefined(role) && !int.TryParse(name, out _) ? role : null;
}

/// <summary>Endpoint metadata: the role a route needs (<see cref="ApiCallers.RequireRole{TBuilder}"/>).</summary>
internal sealed record RequiredRole(ApiRole Role);

/// <summary>Who called: the actor recorded with what they change (<c>key:ci-bot</c>, <c>user:ana@contoso.com</c>) and their role (none for a principal without an app role).</summary>
internal sealed record ApiCaller(string Actor, ApiRole? Role)
{
    public bool Has(ApiRole role) => Role >= role;

    public string Describe() => Role is { } role ? $"{Actor} has the {role.Name()} role" : $"{Actor} has no FlowFunctions role";
}
