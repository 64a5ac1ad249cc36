using System.Text.Json.Nodes;
using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>The $batch wire format: the request we write and the responses we read (shapes from the REST documentation).</summary>
public sealed class TableBatchTests
{
    private const string SuccessResponse =
        "--batchresponse_4c637ba4\r\n" +
        "Content-Type: multipart/mixed; boundary=changesetresponse_5a2b\r\n" +
        "\r\n" +
        "--changesetresponse_5a2b\r\n" +
        "Content-Type: application/http\r\n" +
        "Content-Transfer-Encoding: binary\r\n" +
        "\r\n" +
        "HTTP/1.1 204 No Content\r\n" +
        "Content-ID: 1\r\n" +
        "Preference-Applied: return-no-content\r\n" +
        "DataServiceVersion: 3.0;\r\n" +
        "ETag: W/\"datetime'2025-03-01T12%3A00%3A00.1234567Z'\"\r\n" +
        "\r\n" +
        "\r\n" +
        "--changesetresponse_5a2b\r\n" +
        "Content-Type: application/http\r\n" +
        "Content-Transfer-Encoding: binary\r\n" +
        "\r\n" +
        "HTTP/1.1 204 No Content\r\n" +
        "Content-ID: 2\r\n" +
        "\r\n" +
        "\r\n" +
        "--changesetresponse_5a2b--\r\n" +
        "--batchresponse_4c637ba4--\r\n";

    private const string FailureResponse =
        "--batchresponse_e69b1c6c\r\n" +
        "Content-Type: multipart/mixed; boundary=changesetresponse_f6f4\r\n" +
        "\r\n" +
        "--changesetresponse_f6f4\r\n" +
        "Content-Type: application/http\r\n" +
        "Content-Transfer-Encoding: binary\r\n" +
        "\r\n" +
        "HTTP/1.1 409 Conflict\r\n" +
        "Content-ID: 3\r\n" +
        "Content-Type: application/json;odata=minimalmetadata;streaming=true;charset=utf-8\r\n" +
        "\r\n" +
        "{\"odata.error\":{\"code\":\"EntityAlreadyExists\",\"message\":{\"lang\":\"en-US\",\"value\":\"2:The specified entity already exists.\\nRequestId:1\\nTime:2025-03-01T12:00:00Z\"}}}\r\n" +
        "--changesetresponse_f6f4--\r\n" +
        "--batchresponse_e69b1c6c--\r\n";

    [Fact]
    public void ParseResponse_SuccessfulChangeset_ReturnsEveryPartInOrderWithETags()
    {
        var parts = TableBatch.ParseResponse("multipart/mixed; boundary=batchresponse_4c637ba4", SuccessResponse);

        parts.Count.ShouldBe(2);
        parts.ShouldAllBe(part => part.Status == 204);
        parts[0].Headers["ETag"].ShouldBe("W/\"datetime'2025-03-01T12%3A00%3A00.1234567Z'\"");
        parts[1].Headers["Content-ID"].ShouldBe("2");
    }

    [Fact]
    public void ParseResponse_FailedChangeset_GivesStatusCodeAndIndexFromTheMessage()
    {
        var parts = TableBatch.ParseResponse("multipart/mixed; boundary=\"batchresponse_e69b1c6c\"", FailureResponse);

        var failed = parts.ShouldHaveSingleItem();
        failed.Status.ShouldBe(409);
        var (code, message) = StorageErrors.Parse(null, failed.Body);
        code.ShouldBe("EntityAlreadyExists");
        TableBatch.FailedIndex(failed, message, 4).ShouldBe(2);
    }

    [Fact]
    public void FailedIndex_MessageWithoutIndex_FallsBackToContentId()
    {
        var part = new TableBatchPart(412, new Dictionary<string, string> { ["Content-ID"] = "3" }, string.Empty);

        TableBatch.FailedIndex(part, "The update condition specified in the request was not satisfied.", 5).ShouldBe(2);
    }

    [Fact]
    public void FailedIndex_NothingToGoBy_IsUnknownUnlessTheBatchHasOneOperation()
    {
        var part = new TableBatchPart(404, new Dictionary<string, string>(), string.Empty);

        TableBatch.FailedIndex(part, "Not found", 3).ShouldBeNull();
        TableBatch.FailedIndex(part, "Not found", 1).ShouldBe(0);
    }

    [Fact]
    public void ParseResponse_NoBoundary_ThrowsFormatException()
    {
        Should.Throw<FormatException>(() => TableBatch.ParseResponse("multipart/mixed", SuccessResponse));
    }

    [Fact]
    public void BuildRequest_OneOperationOfEachKind_WritesChangesetWithMethodsConditionsAndBodies()
    {
        var (contentType, body) = TableBatch.BuildRequest(
            "http://127.0.0.1:10002/devstoreaccount1/flowruns",
            "run-1",
            [
                new TableOperation(TableOperationKind.Insert, "seq|5", new JsonObject { ["V"] = "5" }, null),
                new TableOperation(TableOperationKind.Upsert, "run", new JsonObject { ["V"] = "{}" }, null),
                new TableOperation(TableOperationKind.Replace, "node|a", new JsonObject { ["V"] = "1" }, "W/\"x\""),
                new TableOperation(TableOperationKind.Delete, "seq|4", null, "*"),
            ],
            "b1");

        contentType.ShouldBe("multipart/mixed; boundary=batch_b1");
        body.ShouldStartWith("--batch_b1\r\nContent-Type: multipart/mixed; boundary=changeset_b1\r\n\r\n--changeset_b1\r\n");
        body.ShouldContain("POST http://127.0.0.1:10002/devstoreaccount1/flowruns HTTP/1.1\r\nContent-ID: 1\r\n");
        body.ShouldContain("{\"PartitionKey\":\"run-1\",\"RowKey\":\"seq|5\",\"V\":\"5\"}");
        body.ShouldContain("PUT http://127.0.0.1:10002/devstoreaccount1/flowruns(PartitionKey='run-1',RowKey='run') HTTP/1.1\r\nContent-ID: 2\r\n");
        body.ShouldContain("RowKey='node%7Ca') HTTP/1.1\r\nContent-ID: 3\r\nAccept: application/json;odata=minimalmetadata\r\nDataServiceVersion: 3.0\r\nIf-Match: W/\"x\"\r\n");
        body.ShouldContain("DELETE http://127.0.0.1:10002/devstoreaccount1/flowruns(PartitionKey='run-1',RowKey='seq%7C4') HTTP/1.1\r\nContent-ID: 4\r\n");
        body.ShouldEndWith("--changeset_b1--\r\n--batch_b1--\r\n");

        // Upsert is a PUT without If-Match (insert-or-replace); only Replace and Delete are conditional.
        body.Split("--changeset_b1")[2].ShouldNotContain("If-Match");
    }
}
