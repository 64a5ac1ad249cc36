using System.Buffers;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Serializes an entity-group transaction's body once, before it is sent. Azure.Data.Tables builds
/// a <c>$batch</c> body as multipart content whose length is not known up front: the transport asks for it (which
/// renders every sub-request's request line and headers to measure them) and then renders it all again onto the
/// connection, and again on every retry. That first pass was about a sixth of all the bytes a fan-out allocated
/// (docs/benchmarks.md). The bytes sent are the same; only how often they are produced changes.
/// </summary>
/// <remarks>
/// The body is rendered into a pooled buffer (a growing stream's copies would eat half of what the pass saves) and sent
/// as one array of its exact size, so no pooled memory is left with the request however long the transport holds it.
/// Added per call (before the retry policy), so retries send the same array. The content type with the multipart
/// boundary is a request header the SDK sets, and stays as it is.
/// </remarks>
internal sealed class BatchBodyOncePolicy : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (BatchContent(message) is { } content)
        {
            using var body = new PooledBody();
            content.WriteTo(body, message.CancellationToken);
            message.Request.Content = RequestContent.Create(body.Written.ToArray());
        }

        ProcessNext(message, pipeline);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (BatchContent(message) is { } content)
        {
            using var body = new PooledBody();
            await content.WriteToAsync(body, message.CancellationToken);
            message.Request.Content = RequestContent.Create(body.Written.ToArray());
        }

        await ProcessNextAsync(message, pipeline);
    }

    private static RequestContent? BatchContent(HttpMessage message) =>
        message.Request.Uri.Path.EndsWith("/$batch", StringComparison.Ordinal) ? message.Request.Content : null;

    /// <summary>A write-only stream over arrays rented from the shared pool; disposing it returns the array.</summary>
    private sealed class PooledBody : Stream
    {
        private byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        private int length;

        public ReadOnlyMemory<byte> Written => buffer.AsMemory(0, length);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => length;

        public override long Position
        {
            get => length;
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> data)
        {
            if (length + data.Length > buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + data.Length));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            data.CopyTo(buffer.AsSpan(length));
            length += data.Length;
        }

        public override void Write(byte[] data, int offset, int count) => Write(data.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            Write(data.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] data, int offset, int count, CancellationToken cancellationToken)
        {
            Write(data.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] data, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = [];
                length = 0;
            }

            base.Dispose(disposing);
        }
    }
}
