// Prints, for each key, the partition Kafka's Java producer assigns a keyed record:
// toPositive(murmur2(key bytes)) % partitions, using Kafka's own Utils.
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

public class JavaPartitioner {
  public static void main(String[] args) {
    int partitions = Integer.parseInt(args[0]);
    for (int i = 1; i < args.length; i++) {
      byte[] key = args[i].getBytes(StandardCharsets.UTF_8);
      System.out.println(Utils.toPositive(Utils.murmur2(key)) % partitions);
    }
  }
}
