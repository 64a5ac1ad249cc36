using System.Net;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Activities.Handlers;
using FlowFunctions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the activity executor and the built-in node type handlers.</summary>
public static class ActivityServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ActivityExecutor"/>, the <c>echo</c>, <c>fail</c> and <c>http</c> handlers, their options
    /// (validated at start-up), <see cref="TimeProvider.System"/> unless a clock is registered, and the
    /// <c>flowfunctions-http</c> client with the SSRF guard. When an <see cref="IFlowStore"/> is registered, the executor
    /// applies circuit breakers and the step cache through it. Hosts bind configuration with
    /// <c>services.AddOptions&lt;ActivityExecutorOptions&gt;().BindConfiguration(ActivityExecutorOptions.SectionName)</c>.
    /// </summary>
    public static IServiceCollection AddFlowFunctionsActivities(this IServiceCollection services, Action<ActivityExecutorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ActivityExecutorOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options
            .Validate(
                o => o.InlineRetryThreshold >= TimeSpan.Zero && o.InlineRetryThreshold <= RetryPolicy.InlineWaitLimit,
                $"FlowFunctions:InlineRetryThreshold must be between 0 and {Duration.Format(RetryPolicy.InlineWaitLimit)}")
            .Validate(o => o.Http.MaxResponseBodyBytes > 0, "FlowFunctions:Http:MaxResponseBodyBytes must be positive")
            .Validate(o => o.Http.MaxRedirects >= 0, "FlowFunctions:Http:MaxRedirects must not be negative")
            .Validate(o => o.Http.DefaultTimeout > TimeSpan.Zero, "FlowFunctions:Http:DefaultTimeout must be positive")
            .Validate(
                o => o.Http.AllowedHosts.All(HttpAddressGuard.IsValidAllowedHost),
                "every FlowFunctions:Http:AllowedHosts entry must be a host name, an IP address or a CIDR range")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityExecutorOptions>, ChaosOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivityHandler, EchoHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivityHandler, FailHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IActivityHandler, HttpActivityHandler>());
        services.TryAddSingleton(provider => new ActivityExecutor(
            provider.GetServices<IActivityHandler>(),
            provider.GetRequiredService<IOptions<ActivityExecutorOptions>>(),
            provider.GetRequiredService<TimeProvider>(),
            store: provider.GetService<IFlowStore>()));

        services.AddHttpClient(HttpActivityHandler.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider =>
            {
                var http = provider.GetRequiredService<IOptions<ActivityExecutorOptions>>().Value.Http;
                var handler = new SocketsHttpHandler
                {
                    // Redirects are followed by the handler so that each hop is checked; a proxy would make the guard
                    // check the proxy's address instead of the destination's; cookies would leak between runs.
                    AllowAutoRedirect = false,
                    UseProxy = false,
                    UseCookies = false,
                    AutomaticDecompression = DecompressionMethods.All,
                };
                if (http.BlockPrivateNetworks)
                {
                    handler.ConnectCallback = new HttpAddressGuard(http.AllowedHosts).ConnectAsync;
                }

                return handler;
            });

        return services;
    }

    /// <summary>Refuses chaos rules in Production and checks each rule (<see cref="ChaosOptions.Problems"/>).</summary>
    private sealed class ChaosOptionsValidator : IValidateOptions<ActivityExecutorOptions>
    {
        public ValidateOptionsResult Validate(string? name, ActivityExecutorOptions options)
        {
            var problems = options.Chaos.Problems(options.EnvironmentName, Environment.GetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT"));
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
