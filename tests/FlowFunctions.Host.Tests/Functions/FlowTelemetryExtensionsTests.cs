using FlowFunctions.Host.Functions;
using FlowFunctions.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FlowFunctions.Host.Tests.Functions;

/// <summary>When telemetry is collected: only when an exporter is asked for (no exporter, no cost).</summary>
public sealed class FlowTelemetryExtensionsTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData(FlowTelemetryExtensions.TracesExporter, "none")]
    [InlineData(FlowTelemetryExtensions.TracesExporter, "otlp")]
    public void AddFlowTelemetry_NoExporterAskedFor_AddsNothing(string? variable, string? value)
    {
        var services = new ServiceCollection();

        services.AddFlowTelemetry(Configuration(variable, value)).ShouldBeFalse();

        services.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(FlowTelemetryExtensions.TracesExporter, "console")]
    [InlineData(FlowTelemetryExtensions.MetricsExporter, "otlp, Console")]
    [InlineData(FlowTelemetryExtensions.LogsExporter, "console")]
    [InlineData(AppSettings.TelemetryConnectionString, "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/")]
    public void AddFlowTelemetry_AnExporterAskedFor_CollectsTheEngineAndRequestSpansAndTheMeter(string variable, string value)
    {
        var services = new ServiceCollection();

        services.AddFlowTelemetry(Configuration(variable, value)).ShouldBeTrue();

        using var provider = services.AddLogging().BuildServiceProvider();
        provider.GetService<TracerProvider>().ShouldNotBeNull();
        provider.GetService<MeterProvider>().ShouldNotBeNull();
    }

    private static IConfiguration Configuration(string? variable, string? value) =>
        new ConfigurationBuilder().AddInMemoryCollection(variable is null ? [] : [KeyValuePair.Create(variable, value)]).Build();
}
