using System.Diagnostics;
using System.Diagnostics.Metrics;
using FlowFunctions.Engine.Activities;
using Microsoft.ApplicationInsights;
using Microsoft.ApplicationInsights.DataContracts;

namespace FlowFunctions.Host.Functions;

/// <summary>
/// Sends the engine's spans and metrics (<see cref="ActivityTelemetry.Name"/>) to Application Insights: the WorkerService
/// SDK 2.x collects neither <see cref="ActivitySource"/> spans of custom sources nor <see cref="Meter"/> instruments on
/// its own. Spans become dependency telemetry (their tags as properties, so <c>flowfunctions.run.id</c> is queryable),
/// measurements become pre-aggregated metrics.
/// </summary>
internal sealed class EngineTelemetryForwarder(TelemetryClient client) : IHostedService, IDisposable
{
    private ActivityListener? _activities;
    private MeterListener? _meters;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ActivityTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = TrackActivity,
        };
        ActivitySource.AddActivityListener(_activities);

        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ActivityTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => client.GetMetric(instrument.Name).TrackValue(value));
        _meters.SetMeasurementEventCallback<double>((instrument, value, _, _) => client.GetMetric(instrument.Name).TrackValue(value));
        _meters.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return client.FlushAsync(cancellationToken);
    }

    public void Dispose()
    {
        _activities?.Dispose();
        _meters?.Dispose();
        _activities = null;
        _meters = null;
    }

    private void TrackActivity(Activity activity)
    {
        var telemetry = new DependencyTelemetry("FlowFunctions", target: null, activity.DisplayName, data: null)
        {
            Timestamp = activity.StartTimeUtc,
            Duration = activity.Duration,
            Success = activity.Status != ActivityStatusCode.Error,
        };
        telemetry.Context.Operation.Id = activity.TraceId.ToHexString();
        telemetry.Context.Operation.ParentId = activity.ParentSpanId.ToHexString();
        telemetry.Id = activity.SpanId.ToHexString();
        foreach (var (key, value) in activity.TagObjects)
        {
            telemetry.Properties[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
        }

        client.TrackDependency(telemetry);
    }
}
