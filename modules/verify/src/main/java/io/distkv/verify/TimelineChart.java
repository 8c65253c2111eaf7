package io.distkv.verify;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The run's picture: every operation as a dot at (invoke time, latency), green when ok, orange
 * when it definitely failed, red when its outcome is unknown; fault windows shaded and labelled.
 */
public final class TimelineChart {
  private TimelineChart() {}

  public static void write(History history, List<Nemesis.Window> windows, Path png, String title) {
    System.setProperty("java.awt.headless", "true");
    XYSeries ok = new XYSeries("ok", false, true);
    XYSeries fail = new XYSeries("fail (not applied / error answer)", false, true);
    XYSeries unknown = new XYSeries("unknown (no answer)", false, true);
    for (Op op : history.ops()) {
      double x = op.invokeNanos() / 1e9;
      double y = Math.max(0.1, (op.completeNanos() - op.invokeNanos()) / 1e6);
      switch (op.outcome()) {
        case OK -> ok.add(x, y);
        case FAIL -> fail.add(x, y);
        case UNKNOWN -> unknown.add(x, y);
      }
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(ok);
    data.addSeries(fail);
    data.addSeries(unknown);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
    java.awt.Shape dot = new java.awt.geom.Ellipse2D.Double(-1.5, -1.5, 3, 3);
    Color[] colours = {new Color(0x2e, 0x9e, 0x44, 160), new Color(0xf0, 0x8c, 0x00, 200), new Color(0xd6, 0x27, 0x28, 220)};
    for (int i = 0; i < 3; i++) {
      renderer.setSeriesShape(i, dot);
      renderer.setSeriesPaint(i, colours[i]);
    }
    NumberAxis time = new NumberAxis("time since start (s)");
    LogAxis latency = new LogAxis("latency (ms, log scale)");
    latency.setSmallestValue(0.1);
    latency.setNumberFormatOverride(new java.text.DecimalFormat("#,##0.##"));
    XYPlot plot = new XYPlot(data, time, latency, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    for (int i = 0; i < windows.size(); i++) {
      Nemesis.Window w = windows.get(i);
      IntervalMarker m = new IntervalMarker(w.startNanos() / 1e9, w.endNanos() / 1e9);
      m.setPaint(switch (w.fault().kind()) {
        case KILL -> new Color(0xd6, 0x27, 0x28, 40);
        case PAUSE_SHORT -> new Color(0x1f, 0x77, 0xb4, 40);
        case PAUSE_LONG -> new Color(0x94, 0x67, 0xbd, 50);
        case PARTITION_HALVES, PARTITION_LEADER, PARTITION_BRIDGE -> new Color(0x8c, 0x8c, 0x8c, 50);
      });
      m.setOutlinePaint(Color.GRAY);
      m.setOutlineStroke(new BasicStroke(0.5f));
      // Numbered as in the summary's fault list; staggered so that neighbours do not overlap.
      m.setLabel(windows.size() > 15 ? "#" + (i + 1) : "#" + (i + 1) + " " + w.fault().kind().label());
      m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
      m.setLabelOffset(new org.jfree.chart.ui.RectangleInsets(2 + 12 * (i % 3), 2, 2, 2));
      m.setLabelAnchor(RectangleAnchor.TOP_LEFT);
      m.setLabelTextAnchor(TextAnchor.TOP_LEFT);
      plot.addDomainMarker(m, Layer.BACKGROUND);
    }
    JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 13), plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    try {
      ChartUtils.saveChartAsPNG(png.toFile(), chart, 1400, 600);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + png, e);
    }
  }
}
