using System.Diagnostics;
using System.Diagnostics.Metrics;
using FlowFunctions.Engine.Activities;

namespace FlowFunctions.Engine.Tests.Activities;

/// <summary>
/// Records the engine's spans (and those of <c>otherSources</c>) and its meter's measurements while it lives, keeping the
/// measurements <c>keepMeasurement</c> accepts by their tags: tests run in parallel and share the process-wide source and meter.
/// </summary>
internal sealed class EngineTelemetryRecorder : IDisposable
{
    private readonly ActivityListener _spanListener;
    private readonly MeterListener _meterListener;
    private readonly List<Activity> _spans = [];
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];

    public EngineTelemetryRecorder(Func<IReadOnlyDictionary<string, object?>, bool> keepMeasurement, params string[] otherSources)
    {
        _spanListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ActivityTelemetry.Name || otherSources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (_spans)
                {
                    _spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_spanListener);
        _meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ActivityTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = tags.ToArray().ToDictionary(tag => tag.Key, tag => tag.Value);
            if (keepMeasurement(map))
            {
                lock (_measurements)
                {
                    _measurements.Add((instrument.Name, value, map));
                }
            }
        }

        _meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meterListener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meterListener.Start();
    }

    /// <summary>The spans stopped so far whose run id tag is <paramref name="runId"/>.</summary>
    public IReadOnlyList<Activity> SpansOf(string runId)
    {
        lock (_spans)
        {
            return [.. _spans.Where(s => (string?)s.GetTagItem(ActivityTelemetry.RunIdTag) == runId)];
        }
    }

    /// <summary>The kept measurements so far: instrument name, value, tags.</summary>
    public IReadOnlyList<(string Instrument, double Value, Dictionary<string, object?> Tags)> Measurements
    {
        get
        {
            lock (_measurements)
            {
                return [.. _measurements];
            }
        }
    }

    public void Dispose()
    {
        _spanListener.Dispose();
        _meterListener.Dispose();
    }
}
