// Sets a SCRAM-SHA-512 credential for a user in a Kafka cluster (KRaft keeps it in its
// metadata). scripts/stack runs it with the Kafka client jars on the class path:
//   java -cp <kafka classpath> ScramUser.java <bootstrap> <user> <password>
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

public class ScramUser {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    try (Admin admin = Admin.create(props)) {
      var upsert = new UserScramCredentialUpsertion(args[1], new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), args[2]);
      admin.alterUserScramCredentials(List.of(upsert)).all().get();
    }
  }
}
