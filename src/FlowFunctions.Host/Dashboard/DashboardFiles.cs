using FlowFunctions.Host.Api;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace FlowFunctions.Host.Dashboard;

/// <summary>
/// Serves the dashboard (src/FlowFunctions.Dashboard, built into the output's <c>dashboard</c> folder) at <c>/</c>:
/// its files, and <c>index.html</c> for every other GET path outside <c>/api</c> that names no file (client routes such
/// as <c>/runs/{id}</c>). Without the built files (<c>-p:SkipDashboardBuild=true</c>) the API works as before and
/// <c>/</c> says how to get the dashboard.
/// </summary>
internal static class DashboardFiles
{
    /// <summary>The folder, under the host's output, that the build copies the dashboard into.</summary>
    public const string Folder = "dashboard";

    public static WebApplication UseDashboard(this WebApplication app)
    {
        var root = app.Services.GetRequiredService<IOptions<FlowHostOptions>>().Value.DashboardPath ?? Path.Combine(AppContext.BaseDirectory, Folder);
        var index = Path.Combine(root, "index.html");
        if (!File.Exists(index))
        {
            app.MapGet("/", () => Results.Text(
                $"The dashboard is not built into this host ({root} has no index.html): build the host without -p:SkipDashboardBuild=true (Node.js and npm needed). The API is under /api.",
                statusCode: StatusCodes.Status404NotFound));
            return app;
        }

        var files = new PhysicalFileProvider(Path.GetFullPath(root));
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            // Vite puts a content hash in every asset's name: those can be cached forever, index.html never.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = context.Context.Request.Path.StartsWithSegments("/assets")
                ? "public, max-age=31536000, immutable"
                : "no-cache",
        });
        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            if (context.GetEndpoint() is not null
                || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
                || path.StartsWithSegments("/api")
                || Path.HasExtension(path.Value))
            {
                return next(context);
            }

            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers[HeaderNames.CacheControl] = "no-cache";
            return context.Response.SendFileAsync(files.GetFileInfo("index.html"), context.RequestAborted);
        });
        return app;
    }
}
