package io.github.geneve4j.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Turns JMH's JSON output ({@code -rf json}) into the results page: a Markdown table of every
 * benchmark beside its baselines from the same run (the ratio of times; below 1 is faster than the
 * baseline), with allocation per operation, and a bar chart of the ratios to a plain copy.
 *
 * <p>Baselines are the benchmark methods named {@code copy}, {@code straightforward} and
 * {@code checksumPass} (one Internet checksum pass over the same bytes): each other method is divided
 * by the baseline of the same class and parameters.
 *
 * <pre>{@code java -cp geneve-bench/target/benchmarks.jar io.github.geneve4j.bench.report.ResultsReport
 *     results.json geneve-bench/results-table.md geneve-bench/results-chart.png}</pre>
 */
public final class ResultsReport {

    static final Set<String> BASELINES = Set.of("copy", "straightforward", "checksumPass");

    private ResultsReport() {
    }

    /** One JMH result row. */
    record Row(String benchmarkClass, String method, String params, double score, double error, String unit,
            double allocation) {

        String key() {
            return benchmarkClass + "|" + params;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: ResultsReport RESULTS.json TABLE.md CHART.png");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        List<Row> rows = read(Path.of(args[0]));
        Files.writeString(Path.of(args[1]), table(rows));
        chart(rows, Path.of(args[2]));
        System.out.println("wrote " + args[1] + " and " + args[2] + " from " + rows.size() + " results");
    }

    static List<Row> read(Path json) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (JsonNode result : new ObjectMapper().readTree(json.toFile())) {
            String benchmark = result.get("benchmark").asText();
            int dot = benchmark.lastIndexOf('.');
            String cls = benchmark.substring(benchmark.lastIndexOf('.', dot - 1) + 1, dot);
            StringBuilder params = new StringBuilder();
            JsonNode p = result.path("params");
            for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                params.append(params.isEmpty() ? "" : ", ").append(e.getKey()).append('=').append(e.getValue().asText());
            }
            JsonNode metric = result.get("primaryMetric");
            JsonNode alloc = result.path("secondaryMetrics").path("gc.alloc.rate.norm").path("score");
            rows.add(new Row(cls, benchmark.substring(dot + 1), params.toString(), metric.get("score").asDouble(),
                    metric.path("scoreError").asDouble(Double.NaN), metric.get("scoreUnit").asText(),
                    alloc.isMissingNode() ? Double.NaN : alloc.asDouble()));
        }
        return rows;
    }

    static String table(List<Row> rows) {
        Map<String, Map<String, Row>> baselines = new LinkedHashMap<>();
        for (Row row : rows) {
            if (BASELINES.contains(row.method())) {
                baselines.computeIfAbsent(row.key(), k -> new LinkedHashMap<>()).put(row.method(), row);
            }
        }
        StringBuilder md = new StringBuilder();
        md.append("| benchmark | parameters | time | B/op | ÷ copy | ÷ straightforward | ÷ checksum pass |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|\n");
        for (Row row : rows) {
            Map<String, Row> base = baselines.getOrDefault(row.key(), Map.of());
            md.append(String.format(Locale.ROOT, "| %s.%s | %s | %s | %s | %s | %s | %s |%n", row.benchmarkClass(),
                    row.method(), row.params(), time(row), allocation(row.allocation()),
                    ratio(row, base.get("copy")), ratio(row, base.get("straightforward")),
                    ratio(row, base.get("checksumPass"))));
        }
        return md.toString();
    }

    private static String time(Row row) {
        return Double.isNaN(row.error())
                ? String.format(Locale.ROOT, "%.2f %s", row.score(), row.unit())
                : String.format(Locale.ROOT, "%.2f ± %.2f %s", row.score(), row.error(), row.unit());
    }

    private static String allocation(double bytes) {
        return Double.isNaN(bytes) ? "n/a" : bytes < 0.5 ? "0" : String.format(Locale.ROOT, "%.0f", bytes);
    }

    private static String ratio(Row row, Row baseline) {
        if (baseline == null || baseline == row || baseline.score() == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.2f×", row.score() / baseline.score());
    }

    static void chart(List<Row> rows, Path png) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        Map<String, Row> copies = new LinkedHashMap<>();
        for (Row row : rows) {
            if (row.method().equals("copy")) {
                copies.put(row.key(), row);
            }
        }
        for (Row row : rows) {
            Row copy = copies.get(row.key());
            if (copy != null && !row.method().equals("copy") && copy.score() > 0) {
                data.addValue(row.score() / copy.score(), row.method(), row.benchmarkClass().replace("Benchmark", "") + " " + row.params().replaceAll("[a-zA-Z]+=", ""));
            }
        }
        JFreeChart chart = ChartFactory.createBarChart("Time per operation ÷ time of a plain copy of the same bytes",
                "", "ratio (same run; lower is faster)", data, PlotOrientation.HORIZONTAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        // ratios span 0.2x to several 100x (63-option record decodes): a log axis keeps the small
        // ones readable; bars start at 0.05x and the line at 1x is the copy
        CategoryPlot plot = chart.getCategoryPlot();
        LogAxis axis = new LogAxis("ratio to a plain copy (same run; log scale; lower is faster)");
        axis.setSmallestValue(0.05);
        axis.setBase(10);
        axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1));
        axis.setNumberFormatOverride(new java.text.DecimalFormat("0.##"));
        plot.setRangeAxis(axis);
        ((BarRenderer) plot.getRenderer()).setBase(0.05);
        plot.addRangeMarker(new ValueMarker(1.0, Color.BLACK, new java.awt.BasicStroke(1.5f)));
        int height = Math.max(400, 40 + 26 * data.getColumnCount() * Math.max(1, data.getRowCount()) / 2);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1100, Math.min(height, 4000));
    }
}
