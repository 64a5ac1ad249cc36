using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>The connection strings <c>flow dev</c> prints for Azurite on default and other ports.</summary>
public sealed class DevelopmentStorageTests
{
    [Fact]
    public void ConnectionString_DefaultPorts_IsUseDevelopmentStorage()
    {
        DevelopmentStorage.ConnectionString(10000, 10001, 10002).ShouldBe("UseDevelopmentStorage=true");
    }

    [Fact]
    public void ConnectionString_OtherPorts_NamesEveryEndpointWithTheDevelopmentKey()
    {
        var account = StorageAccount.Parse(DevelopmentStorage.ConnectionString(20000, 20001, 20002));

        account.AccountName.ShouldBe(StorageAccount.DevelopmentAccountName);
        account.AccountKey.ShouldBe(Convert.FromBase64String(StorageAccount.DevelopmentAccountKey));
        account.BlobEndpoint.ShouldBe(new Uri("http://127.0.0.1:20000/devstoreaccount1"));
        account.QueueEndpoint.ShouldBe(new Uri("http://127.0.0.1:20001/devstoreaccount1"));
        account.TableEndpoint.ShouldBe(new Uri("http://127.0.0.1:20002/devstoreaccount1"));
    }
}
