package io.kymaros.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * The Avro reference implementation as an oracle for the TypeScript codec, line-based over stdin/stdout:
 *
 * <pre>
 *   encode &lt;writer.avsc&gt;                  JSON event per line  -&gt; single-object bytes as hex per line
 *   decode &lt;reader.avsc&gt; &lt;writer.avsc&gt;... hex per line         -&gt; JSON event per line
 *   fingerprint &lt;schema.avsc&gt;             (no input)            -&gt; {"fingerprint": LE hex, "canonical": PCF}
 *   serde-encode &lt;registry v3 URL&gt; &lt;topic&gt; &lt;writer.avsc&gt;  JSON event per line -&gt; Apicurio's AvroKafkaSerializer bytes as hex
 * </pre>
 *
 * A line that fails prints {@code ERROR <exception>: <message>} instead, so one bad line never hides the rest.
 * Events are plain JSON: timestamps as epoch-ms numbers, optional fields as a value or null (no Avro JSON
 * union wrapping); only the reader schema's fields are printed.
 */
public final class AvroInterop {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  private AvroInterop() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) usage();
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    switch (args[0]) {
      case "encode" -> encode(parse(args[1]), out);
      case "decode" -> decode(args, out);
      case "fingerprint" -> fingerprint(parse(args[1]), out);
      case "serde-encode" -> serdeEncode(args, out);
      default -> usage();
    }
    out.flush();
  }

  private static void usage() {
    System.err.println("usage: encode <writer.avsc> | decode <reader.avsc> <writer.avsc>... | fingerprint <schema.avsc>");
    System.exit(2);
  }

  private static Schema parse(String path) throws Exception {
    return new Schema.Parser().parse(new File(path));
  }

  private static void encode(Schema writer, PrintStream out) throws Exception {
    BinaryMessageEncoder<GenericRecord> encoder = new BinaryMessageEncoder<>(GenericData.get(), writer);
    forEachLine(out, line -> {
      ByteBuffer bytes = encoder.encode(toRecord(writer, JSON.readTree(line)));
      byte[] array = new byte[bytes.remaining()];
      bytes.get(array);
      return HEX.formatHex(array);
    });
  }

  /** Apicurio's serializer with its defaults, auto-registering under record-named artifacts (the topic has two records). */
  private static void serdeEncode(String[] args, PrintStream out) throws Exception {
    if (args.length < 4) usage();
    Schema writer = parse(args[3]);
    java.util.Map<String, Object> config = new java.util.HashMap<>();
    config.put("apicurio.registry.url", args[1]);
    config.put("apicurio.registry.auto-register", "true");
    // Nested named types (the Result enum) inline, not as references in a group of their own, which
    // the registry's Confluent-compatible API cannot serve.
    config.put("apicurio.registry.dereference-schema", "true");
    config.put("apicurio.registry.artifact-resolver-strategy", "io.apicurio.registry.serde.avro.strategy.TopicRecordIdStrategy");
    try (io.apicurio.registry.serde.avro.AvroKafkaSerializer<GenericRecord> serializer =
        new io.apicurio.registry.serde.avro.AvroKafkaSerializer<>()) {
      serializer.configure(config, false);
      forEachLine(out, line -> HEX.formatHex(serializer.serialize(args[2], toRecord(writer, JSON.readTree(line)))));
    }
  }

  private static void decode(String[] args, PrintStream out) throws Exception {
    if (args.length < 3) usage();
    Schema reader = parse(args[1]);
    BinaryMessageDecoder<GenericRecord> decoder = new BinaryMessageDecoder<>(GenericData.get(), reader);
    for (int i = 2; i < args.length; i++) decoder.addSchema(parse(args[i]));
    forEachLine(out, line -> JSON.writeValueAsString(toJson(decoder.decode(HEX.parseHex(line)))));
  }

  private static void fingerprint(Schema schema, PrintStream out) throws Exception {
    ObjectNode node = JSON.createObjectNode();
    long fp = SchemaNormalization.parsingFingerprint64(schema);
    node.put("fingerprint", HEX.formatHex(ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(fp).array()));
    node.put("canonical", SchemaNormalization.toParsingForm(schema));
    out.println(JSON.writeValueAsString(node));
  }

  /** Builds the record field by field from the schema, choosing each union branch from the JSON value. */
  private static GenericRecord toRecord(Schema schema, JsonNode json) {
    GenericRecord record = new GenericData.Record(schema);
    for (Schema.Field field : schema.getFields()) {
      JsonNode value = json.get(field.name());
      // A field the event leaves out takes its default (startedAtKnown: true), as a reader would.
      if (value == null && field.hasDefaultValue()) record.put(field.pos(), GenericData.get().getDefaultValue(field));
      else record.put(field.pos(), toValue(field.schema(), value, field.name()));
    }
    return record;
  }

  private static Object toValue(Schema schema, JsonNode json, String name) {
    switch (schema.getType()) {
      case UNION:
        if (json == null || json.isNull()) return null;
        for (Schema branch : schema.getTypes()) {
          if (branch.getType() != Schema.Type.NULL) return toValue(branch, json, name);
        }
        throw new IllegalArgumentException(name + ": no non-null branch");
      case STRING:
        return json.textValue();
      case ENUM:
        return new GenericData.EnumSymbol(schema, json.textValue());
      case INT:
        if (!json.canConvertToInt() || !json.isIntegralNumber()) throw new IllegalArgumentException(name + ": not an int");
        return json.intValue();
      case LONG:
        if (!json.canConvertToLong() || !json.isIntegralNumber()) throw new IllegalArgumentException(name + ": not a long");
        return json.longValue();
      case DOUBLE:
        return json.doubleValue();
      case BOOLEAN:
        if (!json.isBoolean()) throw new IllegalArgumentException(name + ": not a boolean");
        return json.booleanValue();
      default:
        throw new IllegalArgumentException(name + ": unsupported type " + schema.getType());
    }
  }

  private static ObjectNode toJson(GenericRecord record) {
    ObjectNode node = JSON.createObjectNode();
    for (Schema.Field field : record.getSchema().getFields()) {
      Object value = record.get(field.pos());
      if (value == null) node.putNull(field.name());
      else if (value instanceof Integer i) node.put(field.name(), i);
      else if (value instanceof Long l) node.put(field.name(), l);
      else if (value instanceof Double d) node.put(field.name(), d);
      else if (value instanceof Boolean b) node.put(field.name(), b);
      else node.put(field.name(), value.toString()); // Utf8, String, EnumSymbol
    }
    return node;
  }

  private interface LineHandler {
    String handle(String line) throws Exception;
  }

  private static void forEachLine(PrintStream out, LineHandler handler) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.isBlank()) continue;
      try {
        out.println(handler.handle(line.strip()));
      } catch (Exception e) {
        out.println("ERROR " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
      }
    }
  }
}
