using FlowFunctions.Host.Api;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Mcp;

/// <summary>The MCP server's wiring, shared by the host (streamable HTTP at <c>/mcp</c>) and <c>flow mcp</c> (stdio).</summary>
public static class McpServerExtensions
{
    /// <summary>The tools, resources, limits and call filter; the caller adds a transport and an <see cref="IMcpCaller"/>.</summary>
    internal static IMcpServerBuilder AddFlowMcp(this IServiceCollection services)
    {
        services.AddOptions<McpOptions>().BindConfiguration(McpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<McpCallGate>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WorkflowRegistry>();
        return services
            .AddMcpServer(options =>
            {
                options.ServerInfo = new() { Name = "flowfunctions", Version = typeof(McpServerExtensions).Assembly.GetName().Version?.ToString() ?? "0" };
                options.ServerInstructions =
                    "FlowFunctions runs DAG workflows. validate_spec before start_run; explain_failure says why a run failed; " +
                    "change a running graph with plan_patch, then apply_patch with the revision the plan answered.";
            })
            .WithTools<FlowMcpTools>()
            .WithResources<FlowMcpResources>()
            .WithRequestFilters(filters => filters.AddCallToolFilter(McpToolCalls.Filter));
    }

    /// <summary>Over stdio, for <c>flow mcp</c>: the local user is the caller (admin, recorded as <c>cli:&lt;user&gt; (mcp)</c>).</summary>
    public static IServiceCollection AddFlowMcpStdio(this IServiceCollection services)
    {
        services.AddSingleton<IMcpCaller, LocalMcpCaller>();
        services.AddFlowMcp().WithStdioServerTransport();
        return services;
    }

    /// <summary>Over streamable HTTP, for the host: the caller is the one the API's authentication found (keys, roles, EasyAuth).</summary>
    internal static IServiceCollection AddFlowMcpHttp(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddSingleton<IMcpCaller, HttpMcpCaller>();
        services.AddFlowMcp().WithHttpTransport(options => options.Stateless = true);
        return services;
    }

    /// <summary>
    /// Streamable HTTP at <c>/mcp</c>, and at <c>/api/mcp</c> where the Functions host forwards it (it routes only
    /// <c>/api/*</c>); both behind the API's keys and roles (reader to connect, each tool checks its own role), bodies
    /// far over <see cref="McpOptions.MaxRequestBytes"/> refused with 413 before they are read.
    /// </summary>
    internal static WebApplication MapFlowMcp(this WebApplication app)
    {
        app.UseWhen(context => IsMcpPath(context.Request.Path), branch => branch.Use(async (context, next) =>
        {
            var limit = context.RequestServices.GetRequiredService<IOptions<McpOptions>>().Value.MaxRequestBytes + EnvelopeBytes;
            if (context.Request.ContentLength > limit)
            {
                await BodyTooLarge(context.Request.ContentLength.Value, limit).ExecuteAsync(context);
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }

            try
            {
                await next(context);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
            {
                await BodyTooLarge(null, limit).ExecuteAsync(context);
            }
        }));
        app.MapMcp("/mcp").RequireRole(ApiRole.Reader);
        app.MapMcp("/api/mcp").RequireRole(ApiRole.Reader);
        return app;
    }

    /// <summary>
    /// Room for the JSON-RPC envelope around a call's arguments: the HTTP body limit is the arguments' limit plus this, so
    /// that arguments just over their limit get the tool error naming it, and only a body far over it is cut off with 413.
    /// </summary>
    private const int EnvelopeBytes = 64 * 1024;

    private static IResult BodyTooLarge(long? length, long limit) =>
        Problems.Result(Problems.PayloadTooLarge, $"the MCP request{(length is { } n ? $" is {n} bytes," : " is")} over the limit of {limit} bytes (FlowFunctions:Mcp:MaxRequestBytes plus {EnvelopeBytes} for the envelope)");

    /// <summary>Whether <paramref name="path"/> is the MCP endpoint (<c>/mcp</c> or <c>/api/mcp</c>).</summary>
    internal static bool IsMcpPath(PathString path) => path.StartsWithSegments("/mcp") || path.StartsWithSegments("/api/mcp");
}
