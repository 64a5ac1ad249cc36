using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Mcp;

/// <summary>
/// The rate limit of MCP calls: a token bucket per caller (<see cref="McpOptions.CallsPerMinute"/>, refilled
/// continuously from the injected clock), which every tool call and resource read passes, refused ones included.
/// </summary>
internal sealed class McpCallGate(IOptions<McpOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Admits one call of <paramref name="actor"/> to <paramref name="what"/>, or answers why not.</summary>
    public string? Admit(string actor, string what)
    {
        var perMinute = options.Value.CallsPerMinute;
        var bucket = _buckets.GetOrAdd(actor, _ => new Bucket(perMinute, time.GetTimestamp()));
        return bucket.TryTake(perMinute, time, out var wait)
            ? null
            : $"{what}: rate limit: {actor} may make {perMinute} calls per minute; retry in {Math.Ceiling(wait.TotalSeconds):0} s";
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        private readonly Lock _lock = new();

        public bool TryTake(int perMinute, TimeProvider time, out TimeSpan wait)
        {
            lock (_lock)
            {
                var now = time.GetTimestamp();
                tokens = Math.Min(perMinute, tokens + (time.GetElapsedTime(stamp, now).TotalMinutes * perMinute));
                stamp = now;
                if (tokens >= 1)
                {
                    tokens--;
                    wait = TimeSpan.Zero;
                    return true;
                }

                wait = TimeSpan.FromMinutes((1 - tokens) / perMinute);
                return false;
            }
        }
    }
}
