namespace FlowFunctions.Host.Api;

/// <summary>A JSON answer with a <c>Location</c> header (202 for a new run, 200 for the run an idempotency key already started).</summary>
internal sealed class AcceptedWithLocation(string location, IResult inner) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.Headers.Location = location;
        return inner.ExecuteAsync(httpContext);
    }
}
