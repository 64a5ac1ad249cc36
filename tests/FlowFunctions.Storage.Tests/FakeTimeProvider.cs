namespace FlowFunctions.Storage.Tests;

/// <summary>A clock that moves only when a test says so, so that visibility timeouts are tested without waiting.</summary>
public sealed class FakeTimeProvider : TimeProvider
{
    private readonly Lock gate = new();
    private DateTimeOffset now;

    /// <summary>Starts the clock at <paramref name="start"/>.</summary>
    public FakeTimeProvider(DateTimeOffset start) => now = start;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (gate)
        {
            return now;
        }
    }

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        lock (gate)
        {
            now += delta;
        }
    }
}
